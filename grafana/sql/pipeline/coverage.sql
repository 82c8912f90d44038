-- Reddit coverage per subreddit (sql/020_interval_coverage.sql): the estimated share of the
-- interval's posts and comments that reached the raw zone; 100 when both listings covered every
-- second. The lowest interval in each time bucket, so one bad interval is not averaged away.
SELECT $__timeGroupAlias(interval_start, $__interval),
       subreddit AS metric,
       round(100 * min(coverage)::numeric, 2)::double precision AS coverage_pct
FROM tickerpulse.interval_coverage
WHERE $__timeFilter(interval_start)
GROUP BY 1, 2
ORDER BY 1, 2
