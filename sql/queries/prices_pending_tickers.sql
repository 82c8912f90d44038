-- Tickers whose mentions in [since, until) still wait for prices: no row yet, or returns unknown.
SELECT DISTINCT s.ticker
FROM tickerpulse.post_sentiment s
JOIN tickerpulse.posts p USING (post_id)
LEFT JOIN tickerpulse.mention_prices m ON m.post_id = s.post_id AND m.ticker = s.ticker
WHERE p.interval_start >= %(since)s
  AND p.interval_start < %(until)s
  AND (m.post_id IS NULL OR NOT m.complete)
ORDER BY 1;
