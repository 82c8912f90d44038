-- The 30-minute sentiment series of every ticker with at least min_mentions in the window.
SELECT s.ticker, s.bucket_start, s.mentions, s.scored, s.weighted_mean
FROM tickerpulse.sentiment_30m s
WHERE s.bucket_start >= %(since)s
  AND s.bucket_start < %(until)s
  AND s.ticker IN (
      SELECT ticker FROM tickerpulse.sentiment_30m
      WHERE bucket_start >= %(since)s AND bucket_start < %(until)s
      GROUP BY ticker HAVING sum(mentions) >= %(min_mentions)s
  )
ORDER BY s.ticker, s.bucket_start;
