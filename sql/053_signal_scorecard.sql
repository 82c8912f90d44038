-- 053: the signal scorecard, written by the sentiment_analysis DAG (tickerpulse.analysis.
-- scorecard). Does bucket sentiment rank forward returns? Per ticker (a time series) and across
-- tickers (scope 'all': the mean of per-period cross-sectional rank ICs), per horizon: the rank IC
-- (Spearman), its Newey-West t-statistic and the observations behind it, and the sign hit rate
-- next to the always-up baseline, each with a verdict in words. A run for a day replaces that
-- day's rows. Safe to re-run.
CREATE TABLE IF NOT EXISTS tickerpulse.signal_scorecard (
    computed_for      date NOT NULL,
    scope             text NOT NULL CHECK (scope IN ('ticker', 'all')),
    ticker            text NOT NULL,              -- '*' for scope 'all'
    horizon           text NOT NULL,              -- '30m', '1h', '1d', '5d'
    n                 integer NOT NULL,           -- pairs (ticker) or periods (all)
    pairs             integer NOT NULL,           -- (ticker, period) pairs behind the number
    rank_ic           double precision,
    ic_t_nw           double precision,           -- Newey-West t-statistic of the IC
    nw_lags           integer,
    ic_verdict        text NOT NULL,              -- 'significant', 'not significant', 'too few observations'
    hit_n             integer NOT NULL,
    hit_rate          double precision,
    always_up_rate    double precision,
    hit_p             double precision,           -- one-sided binomial p of beating always-up
    hit_verdict       text NOT NULL,
    window_start      date NOT NULL,
    window_end        date NOT NULL,
    PRIMARY KEY (computed_for, ticker, horizon)
);
CREATE INDEX IF NOT EXISTS signal_scorecard_scope_idx
    ON tickerpulse.signal_scorecard (scope, computed_for);
GRANT SELECT ON tickerpulse.signal_scorecard TO tickerpulse_reader;
