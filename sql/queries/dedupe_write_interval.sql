-- One interval's dedupe keys, from the posts the load just wrote (same transaction): delete and
-- insert, so a re-run gives the same rows. The coverage of another k ends here (its keys miss
-- this interval from now on; the prune removes them after the window).
DELETE FROM tickerpulse.dedupe_hashes WHERE interval_start = %(interval_start)s;
DELETE FROM tickerpulse.dedupe_bands WHERE interval_start = %(interval_start)s;
DELETE FROM tickerpulse.dedupe_state WHERE bands <> %(bands)s;

INSERT INTO tickerpulse.dedupe_hashes (interval_start, post_id, created_utc, content_hash, author_hash)
SELECT p.interval_start, p.post_id, p.created_utc, p.content_hash, p.author_hash
FROM tickerpulse.posts p
WHERE p.interval_start = %(interval_start)s;

INSERT INTO tickerpulse.dedupe_bands (bands, band_key, interval_start, post_id, created_utc, simhash)
SELECT %(bands)s,
       tickerpulse.dedupe_band_key(p.simhash, k.pair, k.lo_i, k.w_i, k.lo_j, k.w_j),
       p.interval_start, p.post_id, p.created_utc, p.simhash
FROM tickerpulse.posts p
CROSS JOIN unnest(%(pair)s::int[], %(lo_i)s::int[], %(w_i)s::int[], %(lo_j)s::int[],
                  %(w_j)s::int[]) AS k(pair, lo_i, w_i, lo_j, w_j)
WHERE p.interval_start = %(interval_start)s AND p.simhash <> 0;
