-- 030: numbers that cannot crash. Safe to re-run (CREATE OR REPLACE).
--
-- PostgreSQL raises `value out of range: underflow` where C would quietly return 0: exp() of an
-- argument below about -745, and a float8 product or quotient of non-zero operands that rounds to
-- 0. A ticker with a few hundred upvoted mentions in one bucket pushed the confidence term
-- exp(-total_w * pc_weight / scale) past that edge and the aggregate task failed on exactly the
-- busy intervals users care about. Every formula below is guarded over the whole input range
-- (scores of exactly 0 or 5.7e-17, 10M mentions, 1M upvotes, any time since the post):
--
-- * every exp() argument is clamped to >= -700 (exp(-700) ~ 9.9e-305 is still a normal double);
-- * a mention weight whose logarithm is below -700 is 0 (no product of tiny factors is formed);
-- * a score with |score| < 1e-12 counts as 0 (floating noise from the scorers; it keeps
--   weight * score and score * score away from the underflow edge);
-- * the weighted mean is 0 when |sum(w * s)| <= sum(w) * 1e-15 (it would round to 0 anyway),
--   NULL when there is no weight (and stays NULL: least(1, NULL) is 1 in SQL);
-- * the confidence factor 1 - exp(-evidence) is 1 once the evidence exceeds 700 (it is 1.0 in
--   double precision from about 37 on), 0 once ln(evidence) is below -700.
--
-- include/tickerpulse/aggregation.py applies the same rules (EXP_FLOOR, SCORE_EPSILON,
-- MEAN_EPSILON) and tests/test_safe_numbers.py drives both with extreme inputs.

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
), factors AS (
    SELECT s.ticker,
           p.post_id,
           p.author_hash,
           s.status,
           CASE WHEN abs(s.score) < 1e-12 THEN 0 ELSE s.score END AS score,
           s.mention_weight AS amb,
           greatest(-700, -p_decay * greatest(0, extract(epoch FROM (p_to - p.created_utc)) / 3600.0))
               AS decay_arg,
           coalesce((SELECT src.weight FROM src WHERE src.name = lower(p.subreddit)),
                    p_default_source_weight) AS src_w,
           1 + ln(1 + greatest(coalesce(p.score, 0), 0)) AS up_w
    FROM tickerpulse.post_sentiment s
    JOIN tickerpulse.posts p USING (post_id)
    WHERE p.interval_start >= p_from AND p.interval_start < p_to AND NOT p.removed
), mention AS (
    SELECT f.ticker, f.post_id, f.author_hash, f.status, f.score,
           CASE WHEN f.amb <= 0 OR f.src_w <= 0 THEN 0
                WHEN ln(f.amb) + f.decay_arg + ln(f.src_w) + ln(f.up_w) < -700 THEN 0
                ELSE f.amb * exp(f.decay_arg) * f.src_w * f.up_w
           END AS w
    FROM factors f
), agg AS (
    SELECT m.ticker,
           count(DISTINCT m.post_id)::integer                                   AS mentions,
           count(DISTINCT m.author_hash)::integer                               AS unique_authors,
           (count(*) FILTER (WHERE m.status = 'scored' AND m.score IS NOT NULL))::integer AS n,
           avg(m.score) FILTER (WHERE m.status = 'scored')                      AS raw_mean,
           coalesce(sum(m.w * m.score) FILTER (WHERE m.status = 'scored' AND m.score IS NOT NULL
                                                 AND m.w > 0 AND m.score <> 0), 0) AS num,
           coalesce(sum(m.w) FILTER (WHERE m.status = 'scored' AND m.score IS NOT NULL), 0)
                                                                                AS total_w,
           stddev_pop(m.score) FILTER (WHERE m.status = 'scored')               AS spread
    FROM mention m
    GROUP BY m.ticker
), shaped AS (
    SELECT a.*,
           -- clamped here: least(1, NULL) is 1 in SQL, and no weight must stay no mean
           CASE WHEN a.total_w <= 0 THEN NULL
                WHEN abs(a.num) <= a.total_w * 1e-15 THEN 0
                ELSE greatest(-1, least(1, a.num / a.total_w))
           END AS mean,
           CASE WHEN a.n > 0 THEN 1 - least(1, coalesce(a.spread, 0)) END AS cons,
           CASE WHEN a.n > 1 THEN 1 + least(p_post_count_max_bonus, ln(a.n) * p_post_count_k)
                ELSE 1 END AS pc_weight
    FROM agg a
), evidence AS (
    SELECT s.*,
           CASE WHEN s.total_w <= 0 THEN 0
                WHEN ln(s.total_w) + ln(s.pc_weight) - ln(p_confidence_scale) < -700 THEN 0
                WHEN ln(s.total_w) + ln(s.pc_weight) - ln(p_confidence_scale) > ln(700) THEN 1
                ELSE 1 - exp(-s.total_w * s.pc_weight / p_confidence_scale)
           END AS factor
    FROM shaped s
)
SELECT e.ticker,
       e.mentions,
       e.unique_authors,
       e.n,
       round(e.raw_mean::numeric, 6)::double precision,
       round(e.mean::numeric, 6)::double precision,
       round(e.total_w::numeric, 6)::double precision,
       round(e.cons::numeric, 6)::double precision,
       CASE WHEN e.n > 0 THEN round((e.factor * e.cons * e.n / (e.n + 1.0))::numeric, 6)::double precision
       END,
       tickerpulse.sentiment_tier(e.mean)
FROM evidence e
$fn$;
REVOKE ALL ON FUNCTION tickerpulse.ticker_window_stats(
    timestamptz, timestamptz, double precision, text[], double precision[], double precision,
    double precision, double precision, double precision) FROM PUBLIC;
