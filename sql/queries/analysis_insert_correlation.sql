INSERT INTO tickerpulse.correlations (
    ticker, horizon, metric, n, pearson, pearson_p, spearman, spearman_p, best_lag, lag_pearson,
    bar_size, window_start, window_end, computed_for
)
VALUES (%(ticker)s, %(horizon)s, %(metric)s, %(n)s, %(pearson)s, %(pearson_p)s, %(spearman)s,
        %(spearman_p)s, %(best_lag)s, %(lag_pearson)s, %(bar_size)s, %(window_start)s,
        %(window_end)s, %(computed_for)s);
