-- One event (tickerpulse.ops.events.record_run_event); returns its id.
INSERT INTO tickerpulse.run_events (
    event, dag_id, run_id, task_id, map_index, try_number, interval_start, message, notified,
    notify_error
)
VALUES (
    %(event)s, %(dag_id)s, %(run_id)s, %(task_id)s, %(map_index)s, %(try_number)s,
    %(interval_start)s, %(message)s, %(notified)s, %(notify_error)s
)
RETURNING event_id;
