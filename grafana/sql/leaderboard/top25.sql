-- Top 25 by mentions over the range, against the same range 24 hours earlier.
-- rank_change > 0: climbed. ticker_totals reads the daily rollup for whole days.
-- Beside sentiment: the peak surge score of the range (robust z of unique authors against the
-- ticker's own baseline), the trend of its latest bucket, and calls, puts and the put/call ratio
-- of the mentions that talk options (read per ticker, only for the 25 shown).
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
       round(c.confidence::numeric, 2) AS confidence,
       round(sig.surge_z::numeric, 1) AS surge_z,
       sig.trend,
       sig.calls,
       sig.puts,
       round(sig.puts::numeric / nullif(sig.calls, 0), 2) AS put_call_ratio
FROM cur c
LEFT JOIN prev p ON p.ticker = c.ticker
LEFT JOIN LATERAL (
    SELECT max(s.surge_z) AS surge_z,
           (array_agg(s.trend ORDER BY s.bucket_start DESC))[1] AS trend,
           sum(s.calls) AS calls,
           sum(s.puts) AS puts
    FROM tickerpulse.sentiment_30m s
    WHERE s.ticker = c.ticker AND $__timeFilter(s.bucket_start)
) sig ON true
WHERE c.rank <= 25
ORDER BY c.rank
