-- Posts and comments young enough that their Reddit score still moves (created in the lookback
-- before the interval end), with what the warehouse holds now, their kind, and whether they
-- mention a ticker (late_scores refreshes comments only when they do, at chosen ages).
SELECT p.post_id, p.score, p.num_comments, p.removed, p.interval_start, p.kind, p.created_utc,
       EXISTS (SELECT 1 FROM tickerpulse.post_sentiment s WHERE s.post_id = p.post_id)
           AS has_tickers
FROM tickerpulse.posts p
WHERE p.created_utc >= %(since)s AND p.created_utc < %(until)s
ORDER BY p.created_utc, p.post_id;
