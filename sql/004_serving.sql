-- 004: what the dashboards read, and only that, fast over a year of data. Safe to re-run.
--
-- * sentiment_1d: a daily rollup of sentiment_30m, so 90-day and longer ranges read 500 rows a
--   day instead of 24,000. Rebuilt per day by tickerpulse.rollup_sentiment_1d(), which the
--   aggregate task calls after every 30-minute bucket and this migration calls once for history.
-- * indexes the panels' range scans need.
-- * the analysis tables (correlations, hit_rates) and task_runs, created empty here so the
--   dashboards that read them work before the jobs that fill them exist.
-- * the reader's grants as an allow-list: the dashboards' tables, and for posts and quarantine
--   only the columns they show. 002 used to grant every table, present and future; this file
--   takes that back, so a table is readable by Grafana only when a migration says so.

-- The daily rollup. day_start is the UTC midnight that starts the day, a timestamptz so panels
-- can filter it with the same $__timeFilter as the 30-minute table.
CREATE TABLE IF NOT EXISTS tickerpulse.sentiment_1d (
    ticker           text NOT NULL,
    day_start        timestamptz NOT NULL,
    mentions         integer NOT NULL,
    mentions_sq      bigint NOT NULL,       -- sum of squared 30-minute mentions: their variance
    scored           integer NOT NULL,
    raw_mean         double precision,
    weighted_mean    double precision,
    confidence       double precision,
    tier             text,
    buckets          integer NOT NULL,      -- 30-minute buckets with mentions that day
    last_bucket      timestamptz NOT NULL,  -- the latest of them (the day may be in progress)
    price_close      double precision,      -- last close of the day (as of now, for today)
    price_change_pct double precision,      -- against the last close before the day
    PRIMARY KEY (ticker, day_start)
);
CREATE INDEX IF NOT EXISTS sentiment_1d_day_idx
    ON tickerpulse.sentiment_1d (day_start) INCLUDE (ticker, mentions, scored, weighted_mean);

-- Range reads over all tickers (leaderboard, alerts) read only the index: no heap visit for the
-- columns they aggregate. The (ticker, bucket_start) primary key serves the one-ticker panels.
CREATE INDEX IF NOT EXISTS sentiment_30m_bucket_cover_idx
    ON tickerpulse.sentiment_30m (bucket_start)
    INCLUDE (ticker, mentions, scored, weighted_mean, confidence);

-- Data-quality panels group expectations per run; quarantine per reason over a range.
CREATE INDEX IF NOT EXISTS quarantine_reason_idx
    ON tickerpulse.quarantine (interval_start) INCLUDE (reason);

-- The five tiers of aggregate_interval.sql, for rollups of rollups.
CREATE OR REPLACE FUNCTION tickerpulse.sentiment_tier(mean double precision)
RETURNS text
LANGUAGE sql
IMMUTABLE
AS $fn$
SELECT CASE
           WHEN mean IS NULL THEN 'unscored'
           WHEN mean <= -0.3 THEN 'strong_bearish'
           WHEN mean <= -0.1 THEN 'bearish'
           WHEN mean < 0.1 THEN 'neutral'
           WHEN mean < 0.3 THEN 'bullish'
           ELSE 'strong_bullish'
       END
$fn$;

-- One UTC day, rebuilt from the 30-minute rows. Means are weighted by the scored mentions of
-- each bucket (sentiment_30m does not keep the decay weights); confidence likewise.
-- STRICT: called with NULL (an empty sentiment_30m) it does nothing.
CREATE OR REPLACE FUNCTION tickerpulse.rollup_sentiment_1d(p_first timestamptz, p_last timestamptz)
RETURNS integer
LANGUAGE sql
STRICT
AS $fn$
DELETE FROM tickerpulse.sentiment_1d
WHERE day_start >= date_trunc('day', p_first, 'UTC')
  AND day_start < date_trunc('day', p_last, 'UTC') + interval '1 day';

WITH daily AS (
    SELECT ticker,
           date_trunc('day', bucket_start, 'UTC') AS day_start,
           sum(mentions)::integer AS mentions,
           sum(mentions::bigint * mentions) AS mentions_sq,
           sum(scored)::integer AS scored,
           sum(raw_mean * scored) / nullif(sum(scored) FILTER (WHERE raw_mean IS NOT NULL), 0)
               AS raw_mean,
           sum(weighted_mean * scored)
               / nullif(sum(scored) FILTER (WHERE weighted_mean IS NOT NULL), 0) AS weighted_mean,
           sum(confidence * scored) / nullif(sum(scored) FILTER (WHERE confidence IS NOT NULL), 0)
               AS confidence,
           count(*)::integer AS buckets,
           max(bucket_start) AS last_bucket
    FROM tickerpulse.sentiment_30m
    WHERE bucket_start >= date_trunc('day', p_first, 'UTC')
      AND bucket_start < date_trunc('day', p_last, 'UTC') + interval '1 day'
    GROUP BY 1, 2
), ins AS (
    INSERT INTO tickerpulse.sentiment_1d (
        ticker, day_start, mentions, mentions_sq, scored, raw_mean, weighted_mean, confidence,
        tier, buckets, last_bucket, price_close, price_change_pct
    )
    SELECT d.ticker, d.day_start, d.mentions, d.mentions_sq, d.scored,
           round(d.raw_mean::numeric, 6)::double precision,
           round(greatest(-1, least(1, d.weighted_mean))::numeric, 6)::double precision,
           round(d.confidence::numeric, 6)::double precision,
           tickerpulse.sentiment_tier(d.weighted_mean),
           d.buckets, d.last_bucket,
           pc.close,
           CASE WHEN pb.close > 0
                THEN round((100 * (pc.close - pb.close) / pb.close)::numeric, 4)::double precision
           END
    FROM daily d
    LEFT JOIN LATERAL (
        SELECT close FROM tickerpulse.prices pr
        WHERE pr.ticker = d.ticker AND pr.bar_size = '30m'
          AND pr.bar_start < d.day_start + interval '1 day'
        ORDER BY pr.bar_start DESC LIMIT 1
    ) pc ON true
    LEFT JOIN LATERAL (
        SELECT close FROM tickerpulse.prices pr
        WHERE pr.ticker = d.ticker AND pr.bar_size = '30m' AND pr.bar_start < d.day_start
        ORDER BY pr.bar_start DESC LIMIT 1
    ) pb ON true
    RETURNING 1
)
SELECT count(*)::integer FROM ins;
$fn$;

-- Per ticker over [p_from, p_to] (both ends included, like $__timeFilter): mentions and the
-- scored-weighted sentiment and confidence, exactly as summing the 30-minute rows would give,
-- but reading sentiment_1d for the whole UTC days inside the range and sentiment_30m only for
-- the partial days at its ends. A 90-day leaderboard reads ~45,000 daily rows plus at most a
-- day of 30-minute rows, instead of 2.2 million. A single SELECT, STABLE and not STRICT, so the
-- planner inlines it and sees the caller's constants.
CREATE OR REPLACE FUNCTION tickerpulse.ticker_totals(p_from timestamptz, p_to timestamptz)
RETURNS TABLE (
    ticker text,
    mentions bigint,
    scored bigint,
    weighted_mean double precision,
    confidence double precision
)
LANGUAGE sql
STABLE
AS $fn$
SELECT piece.ticker,
       sum(piece.mentions)::bigint,
       sum(piece.scored)::bigint,
       sum(piece.weighted_mean * piece.scored)
           / nullif(sum(piece.scored) FILTER (WHERE piece.weighted_mean IS NOT NULL), 0),
       sum(piece.confidence * piece.scored)
           / nullif(sum(piece.scored) FILTER (WHERE piece.confidence IS NOT NULL), 0)
FROM (
    -- head: from p_from to the end of its day, or to p_to if that comes first
    SELECT s.ticker, s.mentions, s.scored, s.weighted_mean, s.confidence
    FROM tickerpulse.sentiment_30m s
    WHERE s.bucket_start >= p_from
      AND s.bucket_start <= p_to
      AND s.bucket_start < date_trunc('day', p_from, 'UTC') + interval '1 day'
    UNION ALL
    -- the whole days in between
    SELECT d.ticker, d.mentions, d.scored, d.weighted_mean, d.confidence
    FROM tickerpulse.sentiment_1d d
    WHERE d.day_start >= date_trunc('day', p_from, 'UTC') + interval '1 day'
      AND d.day_start < date_trunc('day', p_to, 'UTC')
    UNION ALL
    -- tail: from the start of p_to's day to p_to, when that is a later day than p_from's
    SELECT s.ticker, s.mentions, s.scored, s.weighted_mean, s.confidence
    FROM tickerpulse.sentiment_30m s
    WHERE s.bucket_start >= greatest(date_trunc('day', p_to, 'UTC'),
                                     date_trunc('day', p_from, 'UTC') + interval '1 day')
      AND s.bucket_start <= p_to
) AS piece
GROUP BY piece.ticker
$fn$;

REVOKE ALL ON FUNCTION tickerpulse.ticker_totals(timestamptz, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tickerpulse.ticker_totals(timestamptz, timestamptz)
    TO tickerpulse_reader;
REVOKE ALL ON FUNCTION tickerpulse.sentiment_tier(double precision) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tickerpulse.sentiment_tier(double precision) TO tickerpulse_reader;

-- Only the loader (the function's owner) rebuilds the rollup.
REVOKE ALL ON FUNCTION tickerpulse.rollup_sentiment_1d(timestamptz, timestamptz) FROM PUBLIC;

-- History loaded before this migration.
SELECT tickerpulse.rollup_sentiment_1d(min(bucket_start), max(bucket_start))
FROM tickerpulse.sentiment_30m;

-- Filled by the analysis job (another issue); empty until then, so the panels show "no data".
CREATE TABLE IF NOT EXISTS tickerpulse.correlations (
    ticker        text NOT NULL,
    horizon       text NOT NULL,              -- forward-return horizon, e.g. '30m', '1d'
    metric        text NOT NULL,              -- which sentiment series, e.g. 'weighted_mean'
    n             integer NOT NULL,
    pearson       double precision,
    pearson_p     double precision,
    spearman      double precision,
    spearman_p    double precision,
    best_lag      integer,                    -- in buckets of the horizon
    computed_for  date NOT NULL,
    PRIMARY KEY (ticker, horizon, metric, computed_for)
);
CREATE INDEX IF NOT EXISTS correlations_computed_idx ON tickerpulse.correlations (computed_for);

CREATE TABLE IF NOT EXISTS tickerpulse.hit_rates (
    ticker            text NOT NULL,
    computed_for      date NOT NULL,
    n                 integer NOT NULL,
    hit_rate          double precision,       -- share of calls whose sign matched the return
    baseline_up_rate  double precision,       -- share of up moves: what "always bullish" scores
    PRIMARY KEY (ticker, computed_for)
);
CREATE INDEX IF NOT EXISTS hit_rates_computed_idx ON tickerpulse.hit_rates (computed_for);

-- One row per task try, written by an Airflow listener; the pipeline dashboard's durations.
CREATE TABLE IF NOT EXISTS tickerpulse.task_runs (
    dag_id          text NOT NULL,
    run_id          text NOT NULL,
    task_id         text NOT NULL,
    map_index       integer NOT NULL DEFAULT -1,
    try_number      integer NOT NULL DEFAULT 1,
    interval_start  timestamptz,
    state           text NOT NULL,
    start_date      timestamptz NOT NULL,
    end_date        timestamptz,
    duration_s      double precision,
    PRIMARY KEY (dag_id, run_id, task_id, map_index, try_number)
);
CREATE INDEX IF NOT EXISTS task_runs_start_idx ON tickerpulse.task_runs (start_date);

-- The reader's grants, as an allow-list. Roles are cluster-wide but these grants are not: every
-- database gets its own, and re-running this file gives the same result.
GRANT USAGE ON SCHEMA tickerpulse TO tickerpulse_reader;
REVOKE ALL ON ALL TABLES IN SCHEMA tickerpulse FROM tickerpulse_reader;
ALTER DEFAULT PRIVILEGES IN SCHEMA tickerpulse REVOKE ALL ON TABLES FROM tickerpulse_reader;
GRANT SELECT ON
    tickerpulse.sentiment_30m,
    tickerpulse.sentiment_1d,
    tickerpulse.prices,
    tickerpulse.post_sentiment,
    tickerpulse.pipeline_runs,
    tickerpulse.dq_results,
    tickerpulse.symbols,
    tickerpulse.correlations,
    tickerpulse.hit_rates,
    tickerpulse.task_runs
TO tickerpulse_reader;
-- Posts: what a "top posts" table shows, not the author hash, the body or the fingerprints.
GRANT SELECT (post_id, kind, subreddit, title, created_utc, score, num_comments, permalink,
              tickers, interval_start)
    ON tickerpulse.posts TO tickerpulse_reader;
-- Quarantine: the reason per record, not raw_json (an unvalidated record may carry a raw user
-- name or anything else a malformed payload held).
GRANT SELECT (interval_start, subreddit, record_no, record_id, reason)
    ON tickerpulse.quarantine TO tickerpulse_reader;
-- The evaluation dashboard's table, when the migration that creates it ran first.
DO $$
BEGIN
    IF to_regclass('tickerpulse.eval_runs') IS NOT NULL THEN
        GRANT SELECT ON tickerpulse.eval_runs TO tickerpulse_reader;
    END IF;
END
$$;
