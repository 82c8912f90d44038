-- Replace the data-quality results of one interval (a re-run overwrites, never appends).
DELETE FROM tickerpulse.dq_results WHERE interval_start = %(interval_start)s;
