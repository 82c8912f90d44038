-- The newest interval whose dedupe keys are written.
SELECT max(interval_start) FROM tickerpulse.dedupe_hashes;
