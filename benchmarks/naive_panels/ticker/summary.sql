SELECT sum(mentions) AS mentions,
       round((sum(weighted_mean * scored) / nullif(sum(scored), 0))::numeric, 3) AS sentiment,
       round((sum(confidence * scored) / nullif(sum(scored), 0))::numeric, 2) AS confidence
FROM tickerpulse.sentiment_30m
WHERE ticker = ${ticker:sqlstring} AND $__timeFilter(bucket_start)
