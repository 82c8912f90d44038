SELECT bucket_start AS "time", mentions, unique_authors
FROM tickerpulse.sentiment_30m
WHERE ticker = ${ticker:sqlstring} AND $__timeFilter(bucket_start)
ORDER BY bucket_start
