-- 005: what makes the leaderboard trustworthy and explainable. Safe to re-run.
--
-- * posts: late scores (re-read for 36 hours) and removal marks; removed posts stop counting.
-- * post_sentiment: UNIQUE (post_id, ticker). The primary key (post, ticker, scorer version) lets
--   two scorer versions of one mention coexist, and the rollups would then count that mention
--   twice. The load replaces an interval's rows with one scorer version, so one row per
--   (post, ticker) is what the data already is; the index makes it a guarantee. Re-scoring with
--   another version replaces the row (the load deletes the interval first), it does not add one.
-- * symbols: aliases, so the extractor can run from the warehouse's directory.
-- * sentiment_30m: the evidence behind the mean, the rank and the rank/mentions 24 hours before.
-- * sentiment_24h: the rolling 24 hours per ticker, as of the end of each 30-minute bucket.
-- * ticker_window_stats(): the aggregation formula, once, for both; include/tickerpulse/
--   aggregation.py is its Python reference and a test checks that both agree.

ALTER TABLE tickerpulse.posts ADD COLUMN IF NOT EXISTS removed boolean NOT NULL DEFAULT false;
ALTER TABLE tickerpulse.posts ADD COLUMN IF NOT EXISTS score_refreshed_at timestamptz;

DO $$
BEGIN
    IF EXISTS (
        SELECT 1 FROM tickerpulse.post_sentiment GROUP BY post_id, ticker HAVING count(*) > 1
    ) THEN
        RAISE EXCEPTION 'post_sentiment holds several scorer versions of one (post, ticker); '
            're-load those intervals with one scorer before applying 005';
    END IF;
END
$$;
CREATE UNIQUE INDEX IF NOT EXISTS post_sentiment_post_ticker_key
    ON tickerpulse.post_sentiment (post_id, ticker);

ALTER TABLE tickerpulse.symbols ADD COLUMN IF NOT EXISTS aliases text[] NOT NULL DEFAULT '{}';
ALTER TABLE tickerpulse.symbols ADD COLUMN IF NOT EXISTS refreshed_at timestamptz;

ALTER TABLE tickerpulse.sentiment_30m ADD COLUMN IF NOT EXISTS total_weight double precision;
ALTER TABLE tickerpulse.sentiment_30m ADD COLUMN IF NOT EXISTS consensus double precision;
ALTER TABLE tickerpulse.sentiment_30m ADD COLUMN IF NOT EXISTS rank integer;
ALTER TABLE tickerpulse.sentiment_30m ADD COLUMN IF NOT EXISTS rank_24h_ago integer;
ALTER TABLE tickerpulse.sentiment_30m ADD COLUMN IF NOT EXISTS mentions_24h_ago integer;

CREATE TABLE IF NOT EXISTS tickerpulse.sentiment_24h (
    ticker           text NOT NULL,
    bucket_start     timestamptz NOT NULL,  -- the window is [bucket_start + 30m - 24h, bucket_start + 30m)
    mentions         integer NOT NULL,
    unique_authors   integer NOT NULL,
    scored           integer NOT NULL,
    raw_mean         double precision,
    weighted_mean    double precision,
    total_weight     double precision,
    consensus        double precision,
    confidence       double precision,
    tier             text,
    rank             integer,
    PRIMARY KEY (ticker, bucket_start)
);
CREATE INDEX IF NOT EXISTS sentiment_24h_bucket_idx ON tickerpulse.sentiment_24h (bucket_start);
GRANT SELECT ON tickerpulse.sentiment_24h TO tickerpulse_reader;

-- Per ticker over the posts of the 30-minute partitions in [p_from, p_to), each mention weighted
-- by ambiguity * exp(-decay * hours to p_to) * source weight * (1 + ln(1 + max(upvotes, 0))).
-- Removed or deleted posts do not count.
CREATE OR REPLACE FUNCTION tickerpulse.ticker_window_stats(
    p_from timestamptz,
    p_to timestamptz,
    p_decay double precision,
    p_source_names text[],
    p_source_weights double precision[],
    p_default_source_weight double precision,
    p_post_count_k double precision,
    p_post_count_max_bonus double precision,
    p_confidence_scale double precision
)
RETURNS TABLE (
    ticker text,
    mentions integer,
    unique_authors integer,
    scored integer,
    raw_mean double precision,
    weighted_mean double precision,
    total_weight double precision,
    consensus double precision,
    confidence double precision,
    tier text
)
LANGUAGE sql
STABLE
AS $fn$
WITH src AS (
    SELECT u.name, u.weight FROM unnest(p_source_names, p_source_weights) AS u(name, weight)
), mention AS (
    SELECT s.ticker,
           p.post_id,
           p.author_hash,
           s.status,
           s.score,
           s.mention_weight
             * exp(-p_decay * greatest(0, extract(epoch FROM (p_to - p.created_utc)) / 3600.0))
             * coalesce((SELECT src.weight FROM src WHERE src.name = lower(p.subreddit)),
                        p_default_source_weight)
             * (1 + ln(1 + greatest(coalesce(p.score, 0), 0))) AS w
    FROM tickerpulse.post_sentiment s
    JOIN tickerpulse.posts p USING (post_id)
    WHERE p.interval_start >= p_from AND p.interval_start < p_to AND NOT p.removed
), agg AS (
    SELECT m.ticker,
           count(DISTINCT m.post_id)::integer                                   AS mentions,
           count(DISTINCT m.author_hash)::integer                               AS unique_authors,
           (count(*) FILTER (WHERE m.status = 'scored' AND m.score IS NOT NULL))::integer AS n,
           avg(m.score) FILTER (WHERE m.status = 'scored')                      AS raw_mean,
           sum(m.w * m.score) FILTER (WHERE m.status = 'scored')
               / nullif(sum(m.w) FILTER (WHERE m.status = 'scored' AND m.score IS NOT NULL), 0)
                                                                                AS mean,
           coalesce(sum(m.w) FILTER (WHERE m.status = 'scored' AND m.score IS NOT NULL), 0)
                                                                                AS total_w,
           stddev_pop(m.score) FILTER (WHERE m.status = 'scored')               AS spread
    FROM mention m
    GROUP BY m.ticker
), shaped AS (
    SELECT a.*,
           CASE WHEN a.n > 0 THEN 1 - least(1, coalesce(a.spread, 0)) END AS cons,
           CASE WHEN a.n > 1 THEN 1 + least(p_post_count_max_bonus, ln(a.n) * p_post_count_k)
                ELSE 1 END AS pc_weight
    FROM agg a
)
SELECT s.ticker,
       s.mentions,
       s.unique_authors,
       s.n,
       round(s.raw_mean::numeric, 6)::double precision,
       round(greatest(-1, least(1, s.mean))::numeric, 6)::double precision,
       round(s.total_w::numeric, 6)::double precision,
       round(s.cons::numeric, 6)::double precision,
       CASE WHEN s.n > 0 THEN round(((1 - exp(-s.total_w * s.pc_weight / p_confidence_scale))
                                     * s.cons * s.n / (s.n + 1.0))::numeric, 6)::double precision
       END,
       tickerpulse.sentiment_tier(greatest(-1, least(1, s.mean)))
FROM shaped s
$fn$;
REVOKE ALL ON FUNCTION tickerpulse.ticker_window_stats(
    timestamptz, timestamptz, double precision, text[], double precision[], double precision,
    double precision, double precision, double precision) FROM PUBLIC;
