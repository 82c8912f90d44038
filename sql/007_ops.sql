-- 007: operations. What the listener, the failure callback and the maintenance DAG write. Safe to
-- re-run.
--
-- * task_runs (created by 004) gains the stage counts of each task try, taken from the task's
--   return value, so "in=… out=…" of the logs is also queryable.
-- * dag_runs: one row per DAG run, upserted on every state change the scheduler reports.
-- * run_events: an append-only log of failures (and other notable events) with whether the
--   optional webhook was notified. Append-only on purpose: a retry that fails again is a new event.
-- * backups: one row per warehouse dump written to the object store, and when retention removed it.
-- * run_metrics: a view joining a run to the pipeline counts of the interval it processed.
--
-- These are operational history, not pipeline output: a re-run of an interval adds rows here
-- while it leaves the pipeline tables byte-identical. Compare checksums without them
-- (tickerpulse.ops.OPS_TABLES).

ALTER TABLE tickerpulse.task_runs ADD COLUMN IF NOT EXISTS counts jsonb;
ALTER TABLE tickerpulse.task_runs ADD COLUMN IF NOT EXISTS error text;

CREATE TABLE IF NOT EXISTS tickerpulse.dag_runs (
    dag_id          text NOT NULL,
    run_id          text NOT NULL,
    run_type        text,
    logical_date    timestamptz,
    interval_start  timestamptz,
    interval_end    timestamptz,
    state           text NOT NULL,
    start_date      timestamptz,
    end_date        timestamptz,
    duration_s      double precision,
    message         text,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (dag_id, run_id)
);
CREATE INDEX IF NOT EXISTS dag_runs_interval_idx ON tickerpulse.dag_runs (interval_start);
CREATE INDEX IF NOT EXISTS dag_runs_start_idx ON tickerpulse.dag_runs (start_date);

CREATE TABLE IF NOT EXISTS tickerpulse.run_events (
    event_id        bigserial PRIMARY KEY,
    occurred_at     timestamptz NOT NULL DEFAULT now(),
    event           text NOT NULL,             -- e.g. 'task_failed'
    dag_id          text NOT NULL,
    run_id          text,
    task_id         text,
    map_index       integer,
    try_number      integer,
    interval_start  timestamptz,
    message         text NOT NULL,
    notified        boolean NOT NULL DEFAULT false,
    notify_error    text
);
CREATE INDEX IF NOT EXISTS run_events_occurred_idx ON tickerpulse.run_events (occurred_at);

CREATE TABLE IF NOT EXISTS tickerpulse.backups (
    object_url      text PRIMARY KEY,
    taken_at        timestamptz NOT NULL,
    size_bytes      bigint NOT NULL,
    sha256          text NOT NULL,
    server_version  text NOT NULL,
    pg_dump_version text NOT NULL,
    deleted_at      timestamptz
);
CREATE INDEX IF NOT EXISTS backups_taken_idx ON tickerpulse.backups (taken_at);

CREATE OR REPLACE VIEW tickerpulse.run_metrics AS
SELECT r.dag_id, r.run_id, r.run_type, r.interval_start, r.state, r.start_date, r.end_date,
       r.duration_s,
       p.extracted, p.quarantined, p.duplicates, p.bots, p.loaded, p.with_tickers, p.scored,
       p.unscored, p.llm_calls, p.tokens_in, p.tokens_out, p.cost_usd, p.cache_hits
FROM tickerpulse.dag_runs r
LEFT JOIN tickerpulse.pipeline_runs p
    ON p.interval_start = r.interval_start AND r.dag_id = 'reddit_sentiment';

-- Grafana may read all of it: messages are the exception type and its first 2,000 characters
-- (tickerpulse.ops.events), written by the pipeline's own code.
GRANT SELECT ON
    tickerpulse.dag_runs,
    tickerpulse.run_events,
    tickerpulse.backups,
    tickerpulse.run_metrics
TO tickerpulse_reader;
