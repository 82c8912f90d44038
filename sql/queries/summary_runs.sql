SELECT interval_start, extracted, loaded, quarantined, duplicates, bots, with_tickers, scored,
       unscored, scorer_version, dq_docs_path
FROM tickerpulse.pipeline_runs
WHERE interval_start >= %(start)s AND interval_start < %(end)s
ORDER BY interval_start;
