-- One DAG run, upserted on each state change (tickerpulse.ops.run_metrics.record_dag_run).
INSERT INTO tickerpulse.dag_runs (
    dag_id, run_id, run_type, logical_date, interval_start, interval_end, state, start_date,
    end_date, duration_s, message, updated_at
)
VALUES (
    %(dag_id)s, %(run_id)s, %(run_type)s, %(logical_date)s, %(interval_start)s, %(interval_end)s,
    %(state)s, %(start_date)s, %(end_date)s, %(duration_s)s, %(message)s, now()
)
ON CONFLICT (dag_id, run_id) DO UPDATE SET
    run_type = EXCLUDED.run_type,
    logical_date = EXCLUDED.logical_date,
    interval_start = EXCLUDED.interval_start,
    interval_end = EXCLUDED.interval_end,
    state = EXCLUDED.state,
    start_date = EXCLUDED.start_date,
    end_date = EXCLUDED.end_date,
    duration_s = EXCLUDED.duration_s,
    message = EXCLUDED.message,
    updated_at = now();
