-- Share of expectations that passed, per run (per $__interval when the range is long).
SELECT $__timeGroupAlias(interval_start, $__interval),
       round(100.0 * avg(success::integer), 2) AS pass_rate
FROM tickerpulse.dq_results
WHERE $__timeFilter(interval_start)
GROUP BY 1
ORDER BY 1
