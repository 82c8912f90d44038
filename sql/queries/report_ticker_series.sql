-- One ticker's sentiment, mentions and close over [start, end): per 30 minutes up to 7 days,
-- per UTC day beyond (the daily rollup), like the Grafana ticker dashboard.
SELECT bucket_start, weighted_mean, raw_mean, mentions, price_close
FROM tickerpulse.sentiment_30m
WHERE ticker = %(ticker)s AND bucket_start >= %(start)s AND bucket_start < %(end)s
  AND %(end)s::timestamptz - %(start)s::timestamptz <= interval '7 days'
UNION ALL
SELECT day_start, weighted_mean, raw_mean, mentions, price_close
FROM tickerpulse.sentiment_1d
WHERE ticker = %(ticker)s
  AND day_start >= date_trunc('day', %(start)s::timestamptz, 'UTC') AND day_start < %(end)s
  AND %(end)s::timestamptz - %(start)s::timestamptz > interval '7 days'
ORDER BY 1;
