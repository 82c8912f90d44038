-- Every (post, ticker) row behind one ticker's 30-minute bucket, with what its weight is made of
-- (the weight itself is computed by tickerpulse.aggregation, the reference of the rollup formula).
SELECT p.post_id, p.subreddit, p.created_utc, p.score, p.removed, p.author_hash, p.permalink,
       s.mention_kind, s.mention_weight, s.status, s.score, s.label, s.reasoning, s.unscored_reason
FROM tickerpulse.post_sentiment s
JOIN tickerpulse.posts p USING (post_id)
WHERE s.ticker = %(ticker)s AND p.interval_start = %(bucket_start)s
ORDER BY p.created_utc, p.post_id;
