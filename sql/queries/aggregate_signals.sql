-- Traders' signals for one 30-minute bucket, run right after aggregate_interval.sql rebuilt the
-- bucket's sentiment_30m rows (sql/051_surge_signals.sql describes the columns):
--
-- 1. ticker_subreddit_30m: the bucket's mentions per (ticker, subreddit) as sums, with the weight
--    of the rollup formula (ambiguity * exp(-decay * hours to the bucket end) * source weight *
--    (1 + ln(1 + max(upvotes, 0))), as tickerpulse.ticker_window_stats, with the guards of
--    sql/030_safe_numbers.sql) decayed to the bucket end.
-- 2. sentiment_30m: upvotes, calls, puts and the put/call ratio of the bucket.
-- 3. sentiment_30m: the surge score. x = the bucket's unique authors (one account posting fifty
--    times is one author). Its baseline: the same ticker's unique authors in every bucket the
--    pipeline covered (a pipeline_runs row, or any ticker's rollup row) from the ticker's first
--    bucket in the lookback window up to this bucket, 0 where the ticker was not mentioned. Only
--    the buckets of the same hour of the week when there are at least min_seasonal_samples of
--    them, else all of them. z = (x - median) / max(1.4826 * MAD, sqrt(max(median, 1))): a robust
--    z-score whose scale never drops below Poisson noise, so a flat baseline does not turn one
--    extra author into a surge. A ticker first seen less than min_history_days ago gets no score.
-- 4. sentiment_30m: the trend, unique authors in the last trend_buckets buckets against the
--    trend_buckets before: rising at trend_ratio times more (and at least 2 more), falling at
--    trend_ratio times fewer, else stable; NULL when the earlier buckets were not covered.
DELETE FROM tickerpulse.ticker_subreddit_30m WHERE bucket_start = %(bucket_start)s;

WITH src AS (
    SELECT u.name, u.weight
    FROM unnest(%(source_names)s::text[], %(source_weights)s::double precision[]) AS u(name, weight)
), factors AS (
    SELECT s.ticker,
           p.subreddit,
           p.post_id,
           p.author_hash,
           greatest(coalesce(p.score, 0), 0) AS upvotes,
           s.status = 'scored' AND s.score IS NOT NULL AS is_scored,
           CASE WHEN abs(s.score) < 1e-12 THEN 0 ELSE s.score END AS score,
           s.option_side,
           s.mention_weight AS amb,
           greatest(-700, -%(decay)s * greatest(0, extract(epoch FROM (%(bucket_end)s::timestamptz
                                                                      - p.created_utc)) / 3600.0))
               AS decay_arg,
           coalesce((SELECT src.weight FROM src WHERE src.name = lower(p.subreddit)),
                    %(default_source_weight)s) AS src_w,
           1 + ln(1 + greatest(coalesce(p.score, 0), 0)) AS up_w
    FROM tickerpulse.post_sentiment s
    JOIN tickerpulse.posts p USING (post_id)
    WHERE p.interval_start = %(bucket_start)s AND NOT p.removed
), mention AS (
    -- The guarded weight of sql/030_safe_numbers.sql: no exp() below -700, no underflowing product.
    SELECT f.*,
           CASE WHEN f.amb <= 0 OR f.src_w <= 0 THEN 0
                WHEN ln(f.amb) + f.decay_arg + ln(f.src_w) + ln(f.up_w) < -700 THEN 0
                ELSE f.amb * exp(f.decay_arg) * f.src_w * f.up_w
           END AS w
    FROM factors f
)
INSERT INTO tickerpulse.ticker_subreddit_30m (
    ticker, bucket_start, subreddit, mentions, unique_authors, upvotes, scored, score_sum,
    score_sq_sum, weight_sum, weighted_score_sum, calls, puts
)
SELECT m.ticker, %(bucket_start)s, m.subreddit,
       count(DISTINCT m.post_id),
       count(DISTINCT m.author_hash),
       sum(m.upvotes),
       count(*) FILTER (WHERE m.is_scored),
       -- Floating-point sums in a fixed order, so a re-run writes the same bits.
       coalesce(sum(m.score ORDER BY m.post_id) FILTER (WHERE m.is_scored), 0),
       coalesce(sum(m.score * m.score ORDER BY m.post_id) FILTER (WHERE m.is_scored), 0),
       coalesce(sum(m.w ORDER BY m.post_id) FILTER (WHERE m.is_scored), 0),
       coalesce(sum(m.w * m.score ORDER BY m.post_id) FILTER (WHERE m.is_scored), 0),
       count(*) FILTER (WHERE m.option_side IN ('call', 'both')),
       count(*) FILTER (WHERE m.option_side IN ('put', 'both'))
FROM mention m
GROUP BY m.ticker, m.subreddit;

UPDATE tickerpulse.sentiment_30m s
SET upvotes = t.upvotes,
    calls = t.calls,
    puts = t.puts,
    put_call_ratio = CASE WHEN t.calls > 0
                          THEN round((t.puts::numeric / t.calls), 4)::double precision END
FROM (
    SELECT ticker, sum(upvotes)::bigint AS upvotes, sum(calls)::integer AS calls,
           sum(puts)::integer AS puts
    FROM tickerpulse.ticker_subreddit_30m
    WHERE bucket_start = %(bucket_start)s
    GROUP BY ticker
) t
WHERE s.bucket_start = %(bucket_start)s AND s.ticker = t.ticker;

WITH target AS (
    SELECT s.ticker, s.unique_authors AS x
    FROM tickerpulse.sentiment_30m s
    WHERE s.bucket_start = %(bucket_start)s
), covered AS (
    -- One index probe per bucket of the lookback, not a scan of every ticker's rows.
    SELECT g.b,
           extract(isodow FROM g.b AT TIME ZONE 'UTC')
               = extract(isodow FROM %(bucket_start)s::timestamptz AT TIME ZONE 'UTC')
           AND extract(hour FROM g.b AT TIME ZONE 'UTC')
               = extract(hour FROM %(bucket_start)s::timestamptz AT TIME ZONE 'UTC') AS same_hour
    FROM generate_series(%(bucket_start)s::timestamptz - %(lookback_days)s * interval '1 day',
                         %(bucket_start)s::timestamptz - interval '30 minutes',
                         interval '30 minutes') AS g(b)
    WHERE EXISTS (SELECT 1 FROM tickerpulse.pipeline_runs r WHERE r.interval_start = g.b)
       OR EXISTS (SELECT 1 FROM tickerpulse.sentiment_30m s WHERE s.bucket_start = g.b)
), first_seen AS MATERIALIZED (
    SELECT t.ticker, t.x,
           (SELECT min(h.bucket_start) FROM tickerpulse.sentiment_30m h
            WHERE h.ticker = t.ticker
              AND h.bucket_start >= %(bucket_start)s::timestamptz
                                    - %(lookback_days)s * interval '1 day'
              AND h.bucket_start < %(bucket_start)s) AS since
    FROM target t
), since_counts AS (
    -- Covered buckets since each first-seen time, counted once per distinct time.
    SELECT s.since,
           count(*) FILTER (WHERE c.b >= s.since) AS n_all,
           count(*) FILTER (WHERE c.b >= s.since AND c.same_hour) AS n_same_hour
    FROM (SELECT DISTINCT since FROM first_seen WHERE since IS NOT NULL) s
    CROSS JOIN covered c
    GROUP BY s.since
), basis AS (
    SELECT f.ticker, f.x, f.since,
           extract(epoch FROM (%(bucket_start)s::timestamptz - f.since)) / 86400.0 AS history_days,
           n.n_all,
           CASE
               WHEN f.since IS NULL
                    OR f.since > %(bucket_start)s::timestamptz
                                 - %(min_history_days)s * interval '1 day'
                   THEN 'insufficient_history'
               WHEN coalesce(n.n_same_hour, 0) >= %(min_seasonal_samples)s THEN 'hour_of_week'
               ELSE 'all_hours'
           END AS basis
    FROM first_seen f
    LEFT JOIN since_counts n ON n.since = f.since
), samples AS (
    -- Same hour of the week: its few buckets, 0 where the ticker was not mentioned.
    SELECT b.ticker, coalesce(h.unique_authors, 0)::double precision AS v
    FROM basis b
    JOIN covered c ON c.same_hour AND c.b >= b.since
    LEFT JOIN tickerpulse.sentiment_30m h ON h.ticker = b.ticker AND h.bucket_start = c.b
    WHERE b.basis = 'hour_of_week'
    UNION ALL
    -- All hours: the ticker's own rows since it was first seen (every one is a covered bucket)...
    SELECT b.ticker, h.unique_authors::double precision
    FROM basis b
    JOIN tickerpulse.sentiment_30m h
      ON h.ticker = b.ticker AND h.bucket_start >= b.since AND h.bucket_start < %(bucket_start)s
    WHERE b.basis = 'all_hours'
    UNION ALL
    -- ... and a 0 for each covered bucket without one.
    SELECT z.ticker, 0
    FROM (
        SELECT b.ticker,
               b.n_all - (SELECT count(*) FROM tickerpulse.sentiment_30m h
                          WHERE h.ticker = b.ticker AND h.bucket_start >= b.since
                            AND h.bucket_start < %(bucket_start)s) AS zeros
        FROM basis b
        WHERE b.basis = 'all_hours'
    ) z
    CROSS JOIN LATERAL generate_series(1, z.zeros::integer) AS g(i)
), med AS (
    SELECT ticker, count(*) AS n, percentile_cont(0.5) WITHIN GROUP (ORDER BY v) AS median
    FROM samples
    GROUP BY ticker
), mad AS (
    SELECT s.ticker, percentile_cont(0.5) WITHIN GROUP (ORDER BY abs(s.v - m.median)) AS mad
    FROM samples s
    JOIN med m USING (ticker)
    GROUP BY s.ticker
), scored AS (
    SELECT b.ticker, b.x, b.basis, b.history_days, m.n, m.median,
           greatest(1.4826 * d.mad, sqrt(greatest(m.median, 1))) AS scale
    FROM basis b
    LEFT JOIN med m USING (ticker)
    LEFT JOIN mad d USING (ticker)
)
UPDATE tickerpulse.sentiment_30m s
SET surge_basis = sc.basis,
    surge_history_days = round(sc.history_days::numeric, 2)::double precision,
    surge_samples = coalesce(sc.n, 0)::integer,
    surge_baseline = round(sc.median::numeric, 4)::double precision,
    surge_scale = round(sc.scale::numeric, 4)::double precision,
    surge_z = CASE WHEN sc.scale > 0
                   THEN round(((sc.x - sc.median) / sc.scale)::numeric, 3)::double precision END
FROM scored sc
WHERE s.bucket_start = %(bucket_start)s AND s.ticker = sc.ticker;

WITH prior AS (
    -- Was the pipeline running in the earlier window at all? Without it there is no trend.
    SELECT count(*) AS covered
    FROM generate_series(%(bucket_start)s::timestamptz
                             - (2 * %(trend_buckets)s - 1) * interval '30 minutes',
                         %(bucket_start)s::timestamptz - %(trend_buckets)s * interval '30 minutes',
                         interval '30 minutes') AS g(b)
    WHERE EXISTS (SELECT 1 FROM tickerpulse.pipeline_runs r WHERE r.interval_start = g.b)
       OR EXISTS (SELECT 1 FROM tickerpulse.sentiment_30m s WHERE s.bucket_start = g.b)
), windows AS (
    SELECT t.ticker,
           coalesce(sum(h.unique_authors) FILTER (
               WHERE h.bucket_start > %(bucket_start)s::timestamptz
                                      - %(trend_buckets)s * interval '30 minutes'), 0) AS recent,
           coalesce(sum(h.unique_authors) FILTER (
               WHERE h.bucket_start <= %(bucket_start)s::timestamptz
                                       - %(trend_buckets)s * interval '30 minutes'), 0) AS prior
    FROM tickerpulse.sentiment_30m t
    LEFT JOIN tickerpulse.sentiment_30m h
           ON h.ticker = t.ticker
          AND h.bucket_start > %(bucket_start)s::timestamptz
                               - 2 * %(trend_buckets)s * interval '30 minutes'
          AND h.bucket_start <= %(bucket_start)s
    WHERE t.bucket_start = %(bucket_start)s
    GROUP BY t.ticker
)
UPDATE tickerpulse.sentiment_30m s
SET trend = CASE
                WHEN prior.covered = 0 THEN NULL
                WHEN (w.recent + 1.0) >= %(trend_ratio)s * (w.prior + 1.0)
                     AND w.recent - w.prior >= 2 THEN 'rising'
                WHEN (w.prior + 1.0) >= %(trend_ratio)s * (w.recent + 1.0)
                     AND w.prior - w.recent >= 2 THEN 'falling'
                ELSE 'stable'
            END
FROM windows w
CROSS JOIN prior
WHERE s.bucket_start = %(bucket_start)s AND s.ticker = w.ticker;
