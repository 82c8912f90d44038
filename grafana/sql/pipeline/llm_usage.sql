SELECT $__timeGroupAlias(interval_start, $__interval),
       sum(llm_calls) AS llm_calls,
       sum(tokens_in) AS tokens_in,
       sum(tokens_out) AS tokens_out
FROM tickerpulse.pipeline_runs
WHERE $__timeFilter(interval_start)
GROUP BY 1
ORDER BY 1
