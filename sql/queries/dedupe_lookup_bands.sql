-- Near-duplicate candidates: earlier posts (24 hours before the interval, never the interval
-- itself) sharing a banded SimHash key with one of the interval's posts, in the order the full
-- fetch added them to the index (created_utc, post_id). The caller checks the Hamming distance.
SELECT DISTINCT b.created_utc, b.post_id, b.simhash
FROM tickerpulse.dedupe_bands b
WHERE b.bands = %(bands)s
  AND b.band_key = ANY(%(keys)s::bigint[])
  AND b.created_utc >= %(since)s AND b.created_utc < %(until)s
  AND b.interval_start <> %(interval_start)s
ORDER BY b.created_utc, b.post_id;
