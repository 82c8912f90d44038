-- Against now, not the time picker: how far behind the warehouse is.
SELECT round((extract(epoch FROM now() - max(interval_end)) / 60)::numeric, 1) AS minutes_behind,
       max(interval_end) AS latest_interval_end
FROM tickerpulse.pipeline_runs
