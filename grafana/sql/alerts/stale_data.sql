-- Minutes since the end of the latest loaded interval. A pipeline on time is 30-60 minutes
-- behind (an interval loads after it ends); over 60 means runs are failing or not scheduled.
SELECT coalesce(round((extract(epoch FROM now() - max(interval_end)) / 60)::numeric, 1),
                1e9)::double precision AS minutes_behind
FROM tickerpulse.pipeline_runs
