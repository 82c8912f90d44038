-- The latest earlier post (by created_utc, post_id, as the full fetch's dict kept it) with each of
-- an interval's content hashes, in the 24 hours before it, never from the interval itself.
SELECT DISTINCT ON (d.content_hash) d.content_hash, d.post_id, d.author_hash
FROM tickerpulse.dedupe_hashes d
WHERE d.content_hash = ANY(%(hashes)s::text[])
  AND d.created_utc >= %(since)s AND d.created_utc < %(until)s
  AND d.interval_start <> %(interval_start)s
ORDER BY d.content_hash, d.created_utc DESC, d.post_id DESC;
