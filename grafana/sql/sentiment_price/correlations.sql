-- The latest analysis computed on or before the end of the range; strongest first.
WITH latest AS (
    SELECT max(computed_for) AS computed_for
    FROM tickerpulse.correlations
    WHERE computed_for <= ($__timeTo()::timestamptz AT TIME ZONE 'UTC')::date
)
SELECT c.ticker, c.horizon, c.metric, c.n,
       round(c.pearson::numeric, 3) AS pearson, round(c.pearson_p::numeric, 4) AS pearson_p,
       round(c.spearman::numeric, 3) AS spearman, round(c.spearman_p::numeric, 4) AS spearman_p,
       c.best_lag, c.computed_for
FROM tickerpulse.correlations c
JOIN latest USING (computed_for)
ORDER BY abs(c.spearman) DESC NULLS LAST, c.ticker, c.horizon
LIMIT 200
