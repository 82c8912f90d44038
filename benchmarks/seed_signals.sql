-- The traders' signals of the synthetic warehouse (sql/051, sql/053), after seed_serving.sql:
-- surge, trend and options counts on the last two days of 30-minute rows (what the surge alert
-- and the leaderboard read), their per-subreddit sums, and a scorecard per seeded day.
UPDATE tickerpulse.sentiment_30m s
SET upvotes = s.mentions * 7,
    calls = s.mentions / 3,
    puts = s.mentions / 5,
    put_call_ratio = CASE WHEN s.mentions / 3 > 0
                          THEN round(((s.mentions / 5)::numeric / (s.mentions / 3)), 4)::double precision
                     END,
    surge_z = round((((abs(hashint8(hashtext(s.ticker) + extract(epoch FROM s.bucket_start)::bigint))
                       %% 900) - 200) / 100.0)::numeric, 3)::double precision,
    surge_baseline = greatest(1, s.unique_authors - 2),
    surge_scale = 1.5,
    surge_basis = 'hour_of_week',
    surge_samples = 8,
    surge_history_days = 28,
    trend = (ARRAY['rising', 'stable', 'falling'])[1 + abs(hashtext(s.ticker || s.bucket_start::text)) %% 3]
WHERE s.bucket_start >= %(end)s::timestamptz - interval '2 days';

INSERT INTO tickerpulse.ticker_subreddit_30m (
    ticker, bucket_start, subreddit, mentions, unique_authors, upvotes, scored, score_sum,
    score_sq_sum, weight_sum, weighted_score_sum, calls, puts
)
SELECT s.ticker, s.bucket_start, sub.name, s.mentions, s.unique_authors, s.mentions * 7, s.scored,
       s.scored * coalesce(s.raw_mean, 0), s.scored * 0.25, s.scored * 1.5,
       s.scored * 1.5 * coalesce(s.weighted_mean, 0), s.mentions / 3, s.mentions / 5
FROM tickerpulse.sentiment_30m s
CROSS JOIN (VALUES ('wallstreetbets')) AS sub(name)
WHERE s.bucket_start >= %(end)s::timestamptz - interval '2 days';

INSERT INTO tickerpulse.signal_scorecard (
    computed_for, scope, ticker, horizon, n, pairs, rank_ic, ic_t_nw, nw_lags, ic_verdict,
    hit_n, hit_rate, always_up_rate, hit_p, hit_verdict, window_start, window_end
)
SELECT (%(end)s::timestamptz AT TIME ZONE 'UTC')::date - d.n, sc.scope, sc.ticker, h.horizon,
       40, 40, round((sin(d.n + length(sc.ticker)) * 0.05)::numeric, 4), sin(d.n) * 1.5, 3,
       CASE WHEN abs(sin(d.n) * 1.5) >= 1.96 THEN 'significant' ELSE 'not significant' END,
       30, 0.5 + sin(d.n) * 0.05, 0.52, 0.4, 'does not beat always-up',
       (%(end)s::timestamptz AT TIME ZONE 'UTC')::date - d.n - 30,
       (%(end)s::timestamptz AT TIME ZONE 'UTC')::date - d.n
FROM generate_series(1, least(%(days)s, 30)) AS d(n)
CROSS JOIN (VALUES ('all', '*'), ('ticker', 'T001'), ('ticker', 'T002')) AS sc(scope, ticker)
CROSS JOIN (VALUES ('1d'), ('5d')) AS h(horizon);
