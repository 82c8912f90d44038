-- 008: counts per reason in the run metrics, so every dropped or quarantined post is accounted
-- for by reason on the run row itself (the rows are in tickerpulse.dropped / quarantine).
ALTER TABLE tickerpulse.pipeline_runs
    ADD COLUMN IF NOT EXISTS dropped_by_reason jsonb NOT NULL DEFAULT '{}'::jsonb;
ALTER TABLE tickerpulse.pipeline_runs
    ADD COLUMN IF NOT EXISTS quarantined_by_reason jsonb NOT NULL DEFAULT '{}'::jsonb;
