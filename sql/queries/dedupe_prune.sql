-- Drop keys of intervals before the horizon (the dedupe window + a margin before the newest
-- interval; the caller runs this only when the interval just written is the newest, so a backfill
-- of an old interval prunes nothing). From the horizon on, the keys are complete.
DELETE FROM tickerpulse.dedupe_hashes WHERE interval_start < %(horizon)s;
DELETE FROM tickerpulse.dedupe_bands WHERE interval_start < %(horizon)s;
UPDATE tickerpulse.dedupe_state SET complete_from = greatest(complete_from, %(horizon)s);
