-- The signal scorecard of the latest analysis day in the range (the sentiment_analysis DAG):
-- across tickers first, then per ticker by observations. Rank IC is the Spearman correlation of
-- sentiment with the forward return; its t-statistic is Newey-West (overlapping returns); the
-- verdicts say in words whether either is significant.
WITH day AS (
    SELECT max(computed_for) AS d
    FROM tickerpulse.signal_scorecard
    WHERE computed_for BETWEEN $__timeFrom()::date AND $__timeTo()::date
)
SELECT CASE WHEN s.scope = 'all' THEN 'all tickers' ELSE s.ticker END AS ticker,
       s.horizon,
       s.n,
       round(s.rank_ic::numeric, 3) AS rank_ic,
       round(s.ic_t_nw::numeric, 2) AS t_newey_west,
       s.ic_verdict AS ic_verdict,
       s.hit_rate,
       s.always_up_rate,
       s.hit_n,
       s.hit_verdict
FROM tickerpulse.signal_scorecard s
JOIN day ON s.computed_for = day.d
ORDER BY s.scope = 'ticker', s.n DESC, s.ticker,
         array_position(ARRAY['30m', '1h', '1d', '5d'], s.horizon)
LIMIT 200
