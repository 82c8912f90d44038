SELECT $__timeGroupAlias(interval_start, $__interval),
       round(100.0 * sum(cache_hits) / nullif(sum(with_tickers), 0), 1) AS cache_hit_pct
FROM tickerpulse.pipeline_runs
WHERE $__timeFilter(interval_start)
GROUP BY 1
ORDER BY 1
