SELECT bucket_start AS "time", weighted_mean, raw_mean, price_close
FROM tickerpulse.sentiment_30m
WHERE ticker = ${ticker:sqlstring} AND $__timeFilter(bucket_start)
ORDER BY bucket_start
