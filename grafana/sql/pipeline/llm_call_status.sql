SELECT $__timeGroupAlias(interval_start, $__interval),
       status AS metric,
       count(*) AS calls
FROM tickerpulse.llm_calls
WHERE $__timeFilter(interval_start)
GROUP BY 1, 2
ORDER BY 1, 2
