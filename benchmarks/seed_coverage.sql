-- Coverage of every seeded interval for three subreddits (sql/020_interval_coverage.sql): mostly
-- complete sweeps, and every 16th interval of r/wallstreetbets a burst a sweep could not reach
-- back through (the span it missed and the estimate). Parameters as seed_serving.sql.
INSERT INTO tickerpulse.interval_coverage (
    interval_start, subreddit, interval_end, source, complete, coverage, covered_seconds,
    window_seconds, observed_posts, observed_comments, est_missed_posts, est_missed_comments,
    uncovered, requests
)
SELECT b.ts, s.sub, b.ts + interval '30 minutes', 'sweep', NOT burst,
       CASE WHEN burst THEN 1000.0 / (1000 + 29000) ELSE 1.0 END,
       CASE WHEN burst THEN 60 ELSE 1800 END, 1800,
       20 + b.epoch %% 7, CASE WHEN burst THEN 990 ELSE 300 + b.epoch %% 97 END,
       0, CASE WHEN burst THEN 29000 ELSE 0 END,
       CASE WHEN burst THEN jsonb_build_array(jsonb_build_object(
           'listing', 'comments', 'start', b.epoch, 'end', b.epoch + 1740))
            ELSE '[]'::jsonb END,
       CASE WHEN burst THEN 11 ELSE 5 END
FROM seed_bucket b
CROSS JOIN (VALUES ('stocks'), ('wallstreetbets'), ('options')) AS s(sub)
CROSS JOIN LATERAL (
    SELECT s.sub = 'wallstreetbets' AND (b.epoch / 1800) %% 16 = 0 AS burst
) f
ON CONFLICT (interval_start, subreddit) DO NOTHING;
