-- Posts young enough that their Reddit score still moves (created in the last 36 hours before
-- the interval end), with what the warehouse holds now.
SELECT post_id, score, num_comments, removed, interval_start
FROM tickerpulse.posts
WHERE created_utc >= %(since)s AND created_utc < %(until)s
ORDER BY created_utc, post_id;
