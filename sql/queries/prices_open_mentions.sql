-- (post, ticker) mentions loaded in [since, until) that have no price row yet or an incomplete one.
SELECT s.post_id, s.ticker, p.created_utc, p.interval_start
FROM tickerpulse.post_sentiment s
JOIN tickerpulse.posts p USING (post_id)
LEFT JOIN tickerpulse.mention_prices m ON m.post_id = s.post_id AND m.ticker = s.ticker
WHERE p.interval_start >= %(since)s
  AND p.interval_start < %(until)s
  AND (m.post_id IS NULL OR NOT m.complete)
GROUP BY s.post_id, s.ticker, p.created_utc, p.interval_start
ORDER BY s.ticker, p.created_utc, s.post_id;
