SELECT $__timeGroupAlias(interval_start, $__interval),
       sum(llm_fallback) AS offline_for_budget,
       sum(unscored) AS unscored
FROM tickerpulse.pipeline_runs
WHERE $__timeFilter(interval_start)
GROUP BY 1
ORDER BY 1
