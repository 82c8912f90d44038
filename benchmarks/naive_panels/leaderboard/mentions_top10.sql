WITH top AS (
    SELECT ticker FROM tickerpulse.sentiment_30m WHERE $__timeFilter(bucket_start)
    GROUP BY ticker ORDER BY sum(mentions) DESC, ticker LIMIT 10
)
SELECT $__timeGroupAlias(s.bucket_start, $__interval), s.ticker AS metric, sum(s.mentions) AS mentions
FROM tickerpulse.sentiment_30m s JOIN top USING (ticker)
WHERE $__timeFilter(s.bucket_start)
GROUP BY 1, 2
ORDER BY 1, 2
