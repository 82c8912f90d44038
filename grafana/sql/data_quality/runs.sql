-- One row per validated run, newest first, with its Data Docs page.
SELECT interval_start AS "time",
       count(*) AS expectations,
       count(*) FILTER (WHERE NOT success) AS failed,
       coalesce(sum(unexpected_count), 0) AS unexpected_rows,
       max(docs_path) AS docs_path
FROM tickerpulse.dq_results
WHERE $__timeFilter(interval_start)
GROUP BY interval_start
ORDER BY interval_start DESC
LIMIT 200
