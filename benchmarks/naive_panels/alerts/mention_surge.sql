WITH latest AS (
    SELECT max(bucket_start) AS b FROM tickerpulse.sentiment_30m
), hist AS (
    SELECT s.ticker, sum(s.mentions)::double precision / (14 * 48) AS mean,
           sum(s.mentions::bigint * s.mentions)::double precision / (14 * 48) AS mean_sq
    FROM tickerpulse.sentiment_30m s, latest
    WHERE s.bucket_start >= date_trunc('day', latest.b, 'UTC') - interval '14 days'
      AND s.bucket_start < date_trunc('day', latest.b, 'UTC')
    GROUP BY s.ticker
)
SELECT s.ticker,
       ((s.mentions - coalesce(h.mean, 0))
        / greatest(sqrt(greatest(coalesce(h.mean_sq, 0) - coalesce(h.mean, 0) ^ 2, 0)), 1))
           ::double precision AS z
FROM tickerpulse.sentiment_30m s
JOIN latest ON s.bucket_start = latest.b
LEFT JOIN hist h ON h.ticker = s.ticker
WHERE s.mentions >= 10
