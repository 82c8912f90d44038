-- 021: the one Reddit request budget every caller shares (sweeps, the collector, late_scores),
-- across processes: a token bucket per OAuth client, refilled by the database's clock. Safe to
-- re-run. See tickerpulse/reddit_budget.py: a sliding window of the requests let through, per
-- OAuth client; the client's row is the lock every taker queues on.
CREATE TABLE IF NOT EXISTS tickerpulse.reddit_budget (
    client      text PRIMARY KEY,
    granted     bigint NOT NULL DEFAULT 0,  -- requests let through, ever
    waited_s    double precision NOT NULL DEFAULT 0  -- seconds callers slept for their turn
);
CREATE TABLE IF NOT EXISTS tickerpulse.reddit_budget_grants (
    client text NOT NULL,
    at     timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS reddit_budget_grants_client_at
    ON tickerpulse.reddit_budget_grants (client, at);

-- What late_scores refreshed and what it skipped, per interval (its priorities: posts, then
-- comments that mention tickers at the chosen ages, within its request cap).
CREATE TABLE IF NOT EXISTS tickerpulse.late_score_runs (
    interval_start      timestamptz PRIMARY KEY,
    candidates          integer NOT NULL,
    refreshed_posts     integer NOT NULL,
    refreshed_comments  integer NOT NULL,
    skipped_no_ticker   integer NOT NULL,
    skipped_off_age     integer NOT NULL,
    skipped_over_cap    integer NOT NULL,
    requests            integer NOT NULL,
    CHECK (candidates = refreshed_posts + refreshed_comments + skipped_no_ticker
                        + skipped_off_age + skipped_over_cap)
);

GRANT SELECT ON tickerpulse.reddit_budget TO tickerpulse_reader;
GRANT SELECT ON tickerpulse.late_score_runs TO tickerpulse_reader;
