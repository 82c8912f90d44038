-- One task try (tickerpulse.ops.run_metrics.record_task_run). A try is reported when it starts and
-- again when it ends; the second report completes the first row.
INSERT INTO tickerpulse.task_runs (
    dag_id, run_id, task_id, map_index, try_number, interval_start, state, start_date, end_date,
    duration_s, counts, error
)
VALUES (
    %(dag_id)s, %(run_id)s, %(task_id)s, %(map_index)s, %(try_number)s, %(interval_start)s,
    %(state)s, %(start_date)s, %(end_date)s, %(duration_s)s, %(counts)s, %(error)s
)
ON CONFLICT (dag_id, run_id, task_id, map_index, try_number) DO UPDATE SET
    interval_start = coalesce(EXCLUDED.interval_start, tickerpulse.task_runs.interval_start),
    state = EXCLUDED.state,
    start_date = EXCLUDED.start_date,
    end_date = EXCLUDED.end_date,
    duration_s = EXCLUDED.duration_s,
    counts = coalesce(EXCLUDED.counts, tickerpulse.task_runs.counts),
    error = EXCLUDED.error;
