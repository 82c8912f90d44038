SELECT $__timeGroupAlias(interval_start, $__interval), reason AS metric, count(*) AS quarantined
FROM tickerpulse.quarantine
WHERE $__timeFilter(interval_start)
GROUP BY 1, 2
ORDER BY 1, 2
