-- %(replace)s false: a row the warehouse already has is kept as it is (a run that reads a raw
-- partition back keeps the request count of the fetch that made it).
INSERT INTO tickerpulse.interval_coverage (
    interval_start, subreddit, interval_end, source, complete, coverage, covered_seconds,
    window_seconds, observed_posts, observed_comments, est_missed_posts, est_missed_comments,
    uncovered, requests
) VALUES (
    %(interval_start)s, %(subreddit)s, %(interval_end)s, %(source)s, %(complete)s, %(coverage)s,
    %(covered_seconds)s, %(window_seconds)s, %(observed_posts)s, %(observed_comments)s,
    %(est_missed_posts)s, %(est_missed_comments)s, %(uncovered)s::jsonb, %(requests)s
)
ON CONFLICT (interval_start, subreddit) DO UPDATE SET
    interval_end = EXCLUDED.interval_end, source = EXCLUDED.source,
    complete = EXCLUDED.complete, coverage = EXCLUDED.coverage,
    covered_seconds = EXCLUDED.covered_seconds, window_seconds = EXCLUDED.window_seconds,
    observed_posts = EXCLUDED.observed_posts, observed_comments = EXCLUDED.observed_comments,
    est_missed_posts = EXCLUDED.est_missed_posts,
    est_missed_comments = EXCLUDED.est_missed_comments,
    uncovered = EXCLUDED.uncovered, requests = EXCLUDED.requests
WHERE %(replace)s;
