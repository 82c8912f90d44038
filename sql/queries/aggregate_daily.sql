-- Rebuild the UTC day of the bucket just aggregated in the daily rollup (sentiment_1d), which
-- long-range dashboard panels read. The logic lives in the function (sql/004_serving.sql) so the
-- migration's backfill and this call cannot drift apart.
SELECT tickerpulse.rollup_sentiment_1d(%(bucket_start)s, %(bucket_start)s);
