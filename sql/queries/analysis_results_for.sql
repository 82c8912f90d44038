-- Results of one computation day, for reports.
SELECT c.ticker, c.horizon, c.metric, c.n, c.pearson, c.pearson_p, c.spearman, c.spearman_p,
       c.best_lag, c.lag_pearson
FROM tickerpulse.correlations c
WHERE c.computed_for = %(computed_for)s AND c.ticker = ANY(%(tickers)s)
ORDER BY c.ticker, c.metric, c.horizon;
