-- Re-derive the dedupe keys of posts created in [%(from)s, %(to)s) from tickerpulse.posts (a
-- backfill reaching before the pruned horizon, the first run after migration 031, a new k).
-- Delete + insert, so the rows are the ones the load would have written.
DELETE FROM tickerpulse.dedupe_hashes
WHERE created_utc >= %(from)s AND (%(to)s::timestamptz IS NULL OR created_utc < %(to)s);
DELETE FROM tickerpulse.dedupe_bands
WHERE bands = %(bands)s
  AND created_utc >= %(from)s AND (%(to)s::timestamptz IS NULL OR created_utc < %(to)s);

INSERT INTO tickerpulse.dedupe_hashes (interval_start, post_id, created_utc, content_hash, author_hash)
SELECT p.interval_start, p.post_id, p.created_utc, p.content_hash, p.author_hash
FROM tickerpulse.posts p
WHERE p.created_utc >= %(from)s AND (%(to)s::timestamptz IS NULL OR p.created_utc < %(to)s)
ON CONFLICT DO NOTHING;

INSERT INTO tickerpulse.dedupe_bands (bands, band_key, interval_start, post_id, created_utc, simhash)
SELECT %(bands)s,
       tickerpulse.dedupe_band_key(p.simhash, k.pair, k.lo_i, k.w_i, k.lo_j, k.w_j),
       p.interval_start, p.post_id, p.created_utc, p.simhash
FROM tickerpulse.posts p
CROSS JOIN unnest(%(pair)s::int[], %(lo_i)s::int[], %(w_i)s::int[], %(lo_j)s::int[],
                  %(w_j)s::int[]) AS k(pair, lo_i, w_i, lo_j, w_j)
WHERE p.created_utc >= %(from)s AND (%(to)s::timestamptz IS NULL OR p.created_utc < %(to)s)
  AND p.simhash <> 0;

INSERT INTO tickerpulse.dedupe_state (bands, complete_from)
VALUES (%(bands)s, %(from)s)
ON CONFLICT (bands) DO UPDATE SET complete_from = least(tickerpulse.dedupe_state.complete_from,
                                                        EXCLUDED.complete_from);
