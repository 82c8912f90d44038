-- The coverage row a raw partition carries, for a run that reads the partition back: kept as it
-- is when the warehouse has the row already (with the request count of the fetch that made it).
INSERT INTO tickerpulse.interval_coverage (
    interval_start, subreddit, interval_end, source, complete, coverage, covered_seconds,
    window_seconds, observed_posts, observed_comments, est_missed_posts, est_missed_comments,
    uncovered, requests
) VALUES (
    %(interval_start)s, %(subreddit)s, %(interval_end)s, %(source)s, %(complete)s, %(coverage)s,
    %(covered_seconds)s, %(window_seconds)s, %(observed_posts)s, %(observed_comments)s,
    %(est_missed_posts)s, %(est_missed_comments)s, %(uncovered)s::jsonb, %(requests)s
)
ON CONFLICT (interval_start, subreddit) DO NOTHING;
