-- Mentions per 30 minutes up to 7 days, per UTC day beyond.
SELECT bucket_start AS "time", mentions, unique_authors
FROM tickerpulse.sentiment_30m
WHERE ticker = ${ticker:sqlstring}
  AND $__timeFilter(bucket_start)
  AND $__timeTo()::timestamptz - $__timeFrom()::timestamptz <= interval '7 days'
UNION ALL
SELECT day_start, mentions, NULL::integer
FROM tickerpulse.sentiment_1d
WHERE ticker = ${ticker:sqlstring}
  AND day_start BETWEEN date_trunc('day', $__timeFrom()::timestamptz, 'UTC') AND $__timeTo()
  AND $__timeTo()::timestamptz - $__timeFrom()::timestamptz > interval '7 days'
ORDER BY 1
