-- Subreddits with an interval in the last 6 hours whose estimated coverage is below 99%: a
-- listing could not reach back through the whole interval (a burst beyond one sweep's reach, a
-- collector that was down or fell behind). The value is the lowest coverage, in percent.
SELECT subreddit,
       round(100 * min(coverage)::numeric, 2)::double precision AS coverage_pct
FROM tickerpulse.interval_coverage
WHERE $__timeFilter(interval_start)
GROUP BY subreddit
