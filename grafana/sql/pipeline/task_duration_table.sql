SELECT task_id,
       count(*) AS tries,
       count(*) FILTER (WHERE state <> 'success') AS not_successful,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_s)::numeric, 1) AS p50_s,
       round(percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_s)::numeric, 1) AS p95_s,
       round(max(duration_s)::numeric, 1) AS max_s
FROM tickerpulse.task_runs
WHERE $__timeFilter(start_date)
GROUP BY task_id
ORDER BY p95_s DESC NULLS LAST, task_id
