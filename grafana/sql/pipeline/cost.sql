SELECT $__timeGroupAlias(interval_start, $__interval), sum(cost_usd)::double precision AS cost_usd
FROM tickerpulse.pipeline_runs
WHERE $__timeFilter(interval_start)
GROUP BY 1
ORDER BY 1
