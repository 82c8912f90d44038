-- Up to 7 days: one point per 30-minute bucket. Longer: one per UTC day from the daily rollup.
-- The range test is on constants, so Postgres runs only one branch.
SELECT bucket_start AS "time", weighted_mean, raw_mean, price_close
FROM tickerpulse.sentiment_30m
WHERE ticker = ${ticker:sqlstring}
  AND $__timeFilter(bucket_start)
  AND $__timeTo()::timestamptz - $__timeFrom()::timestamptz <= interval '7 days'
UNION ALL
SELECT day_start, weighted_mean, raw_mean, price_close
FROM tickerpulse.sentiment_1d
WHERE ticker = ${ticker:sqlstring}
  AND day_start BETWEEN date_trunc('day', $__timeFrom()::timestamptz, 'UTC') AND $__timeTo()
  AND $__timeTo()::timestamptz - $__timeFrom()::timestamptz > interval '7 days'
ORDER BY 1
