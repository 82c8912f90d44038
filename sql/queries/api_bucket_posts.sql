-- The posts behind one ticker's 30-minute bucket, for the JSON API: what `tickerpulse explain`
-- lists, without author names or hashes and without bodies (the reader cannot read them), with
-- the options intent of each mention. The weight is recomputed by tickerpulse.aggregation.
SELECT p.post_id, p.kind, p.subreddit, p.title, p.created_utc, p.score, p.permalink, p.removed,
       s.mention_kind, s.mention_weight, s.status, s.score, s.label,
       coalesce(s.reasoning, s.unscored_reason), s.option_side, s.option_strike, s.option_expiry,
       s.option_action
FROM tickerpulse.post_sentiment s
JOIN tickerpulse.posts p USING (post_id)
WHERE s.ticker = %(ticker)s AND p.interval_start = %(bucket_start)s
ORDER BY p.created_utc, p.post_id
LIMIT %(limit)s OFFSET %(offset)s;
