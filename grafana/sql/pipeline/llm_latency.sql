SELECT $__timeGroupAlias(interval_start, $__interval),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_s) AS p50_s,
       percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_s) AS p95_s
FROM tickerpulse.llm_calls
WHERE $__timeFilter(interval_start) AND latency_s IS NOT NULL
GROUP BY 1
ORDER BY 1
