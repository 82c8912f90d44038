SELECT interval_start, interval_end, extracted, loaded, quarantined, duplicates, bots, scored,
       unscored, llm_calls, cost_usd
FROM tickerpulse.pipeline_runs
WHERE $__timeFilter(interval_start)
ORDER BY interval_start DESC
LIMIT 500
