-- Cache hit rate: the share of posts with tickers whose score came from the cache.
SELECT count(*) AS runs,
       sum(llm_calls) AS llm_calls,
       sum(tokens_in + tokens_out) AS tokens,
       sum(cost_usd)::double precision AS cost_usd,
       round(100.0 * sum(cache_hits) / nullif(sum(with_tickers), 0), 1) AS cache_hit_pct
FROM tickerpulse.pipeline_runs
WHERE $__timeFilter(interval_start)
