-- Top 25 by mentions over the range, against the same range 24 hours earlier.
-- rank_change > 0: climbed. ticker_totals reads the daily rollup for whole days.
WITH cur AS (
    SELECT t.*, rank() OVER (ORDER BY t.mentions DESC, t.ticker) AS rank
    FROM tickerpulse.ticker_totals($__timeFrom(), $__timeTo()) AS t
), prev AS (
    SELECT t.ticker, t.mentions, rank() OVER (ORDER BY t.mentions DESC, t.ticker) AS rank
    FROM tickerpulse.ticker_totals($__timeFrom()::timestamptz - interval '24 hours',
                                   $__timeTo()::timestamptz - interval '24 hours') AS t
)
SELECT c.rank,
       c.ticker,
       c.mentions,
       c.mentions - coalesce(p.mentions, 0) AS mention_change,
       round(100.0 * (c.mentions - p.mentions) / nullif(p.mentions, 0), 1) AS mention_change_pct,
       p.rank - c.rank AS rank_change,
       round(c.weighted_mean::numeric, 3) AS sentiment,
       tickerpulse.sentiment_tier(c.weighted_mean) AS tier,
       round(c.confidence::numeric, 2) AS confidence
FROM cur c
LEFT JOIN prev p ON p.ticker = c.ticker
WHERE c.rank <= 25
ORDER BY c.rank
