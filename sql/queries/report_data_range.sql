-- The first and last 30-minute buckets in the rollup: the default report range and the hint when
-- a requested range holds nothing.
SELECT min(bucket_start), max(bucket_start) + interval '30 minutes' FROM tickerpulse.sentiment_30m;
