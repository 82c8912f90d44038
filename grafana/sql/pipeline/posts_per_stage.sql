SELECT $__timeGroupAlias(interval_start, $__interval),
       sum(extracted) AS extracted,
       sum(quarantined) AS quarantined,
       sum(duplicates) AS duplicates,
       sum(bots) AS bots,
       sum(loaded) AS loaded,
       sum(with_tickers) AS with_tickers,
       sum(scored) AS scored,
       sum(unscored) AS unscored
FROM tickerpulse.pipeline_runs
WHERE $__timeFilter(interval_start)
GROUP BY 1
ORDER BY 1
