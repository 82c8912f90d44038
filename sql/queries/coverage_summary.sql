-- Coverage of the intervals in [%(start)s, %(end)s): per source, how many interval-subreddits
-- were complete, the lowest coverage, and the comments estimated missed.
SELECT source,
       count(*) AS intervals,
       count(*) FILTER (WHERE complete) AS complete,
       min(coverage) AS lowest,
       sum(observed_posts + observed_comments) AS observed,
       sum(est_missed_posts + est_missed_comments) AS est_missed
FROM tickerpulse.interval_coverage
WHERE interval_start >= %(start)s AND interval_start < %(end)s
GROUP BY source
ORDER BY source
