-- Fingerprints of posts loaded in the dedupe window before an interval (never the interval
-- itself, so a re-run of the interval sees exactly what its first run saw).
SELECT post_id, content_hash, simhash, author_hash
FROM tickerpulse.posts
WHERE created_utc >= %(since)s AND created_utc < %(until)s
ORDER BY created_utc, post_id;
