SELECT $__timeGroupAlias(start_date, $__interval), task_id AS metric, avg(duration_s) AS seconds
FROM tickerpulse.task_runs
WHERE $__timeFilter(start_date) AND duration_s IS NOT NULL
GROUP BY 1, 2
ORDER BY 1, 2
