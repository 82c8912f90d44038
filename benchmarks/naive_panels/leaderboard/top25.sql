WITH cur AS (
    SELECT ticker, sum(mentions) AS mentions,
           sum(weighted_mean * scored) / nullif(sum(scored), 0) AS weighted_mean,
           sum(confidence * scored) / nullif(sum(scored), 0) AS confidence
    FROM tickerpulse.sentiment_30m
    WHERE $__timeFilter(bucket_start)
    GROUP BY ticker
), prev AS (
    SELECT ticker, sum(mentions) AS mentions
    FROM tickerpulse.sentiment_30m
    WHERE bucket_start BETWEEN $__timeFrom()::timestamptz - interval '24 hours'
                           AND $__timeTo()::timestamptz - interval '24 hours'
    GROUP BY ticker
), ranked AS (
    SELECT c.*, rank() OVER (ORDER BY c.mentions DESC, c.ticker) AS rank FROM cur c
), prev_ranked AS (
    SELECT p.*, rank() OVER (ORDER BY p.mentions DESC, p.ticker) AS rank FROM prev p
)
SELECT r.rank, r.ticker, r.mentions, r.mentions - coalesce(p.mentions, 0) AS mention_change,
       p.rank - r.rank AS rank_change, r.weighted_mean, r.confidence
FROM ranked r LEFT JOIN prev_ranked p USING (ticker)
WHERE r.rank <= 25
ORDER BY r.rank
