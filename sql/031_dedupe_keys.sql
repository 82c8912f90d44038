-- 031: the 24-hour dedupe index, so `filter` looks up only its own interval's keys instead of
-- fetching every fingerprint of the 24 hours before it (10M rows at 10M posts a day). Safe to re-run.
--
-- * dedupe_hashes: the content hash (SHA-256 of the normalised text) of every loaded post, with
--   its author, for exact duplicates.
-- * dedupe_bands: the banded SimHash keys of every loaded post with a SimHash (tickerpulse.dedupe.
--   band_keys: k+2 blocks, one key per pair of blocks), with the SimHash itself, so candidates
--   are verified by exact Hamming distance. `bands` is the k the keys were made for.
-- * dedupe_state: per k, the time from which the two tables hold every loaded post
--   (complete_from, on created_utc). Older rows are pruned; a backfill that needs them re-derives
--   them from tickerpulse.posts first (tickerpulse.dedupe_store.ensure_coverage).
--
-- The load task writes an interval's rows in its own transaction, from the posts it just loaded
-- (delete + insert for the interval, so a re-run gives the same rows), and prunes rows more than
-- 24 hours + a margin older than the newest interval. None of this is served to Grafana.

CREATE TABLE IF NOT EXISTS tickerpulse.dedupe_hashes (
    interval_start  timestamptz NOT NULL,
    post_id         text NOT NULL,
    created_utc     timestamptz NOT NULL,
    content_hash    text NOT NULL,
    author_hash     text,
    PRIMARY KEY (interval_start, post_id)
);
CREATE INDEX IF NOT EXISTS dedupe_hashes_hash_idx
    ON tickerpulse.dedupe_hashes (content_hash, created_utc);
CREATE INDEX IF NOT EXISTS dedupe_hashes_created_idx ON tickerpulse.dedupe_hashes (created_utc);

CREATE TABLE IF NOT EXISTS tickerpulse.dedupe_bands (
    bands           smallint NOT NULL,   -- the near-duplicate k the keys were made for
    band_key        bigint NOT NULL,
    interval_start  timestamptz NOT NULL,
    post_id         text NOT NULL,
    created_utc     timestamptz NOT NULL,
    simhash         bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS dedupe_bands_key_idx
    ON tickerpulse.dedupe_bands (bands, band_key);
CREATE INDEX IF NOT EXISTS dedupe_bands_interval_idx
    ON tickerpulse.dedupe_bands (interval_start);
CREATE INDEX IF NOT EXISTS dedupe_bands_created_idx ON tickerpulse.dedupe_bands (created_utc);

CREATE TABLE IF NOT EXISTS tickerpulse.dedupe_state (
    bands           smallint PRIMARY KEY,
    complete_from   timestamptz NOT NULL
);

-- One banded key of a SimHash, as tickerpulse.dedupe.band_keys computes it: pair << 48 | block i
-- << width j | block j; a negative pair is the whole hash (the exact-hash key). Shared by the load's
-- write and the restore from posts.
CREATE OR REPLACE FUNCTION tickerpulse.dedupe_band_key(
    simhash bigint, pair int, lo_i int, w_i int, lo_j int, w_j int
) RETURNS bigint LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN pair < 0 THEN simhash
                ELSE (pair::bigint << 48)
                     | (((simhash >> lo_i) & ((1::bigint << w_i) - 1)) << w_j)
                     | ((simhash >> lo_j) & ((1::bigint << w_j) - 1))
           END
$$;
