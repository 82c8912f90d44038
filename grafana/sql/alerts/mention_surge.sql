-- z-score of each ticker's latest 30-minute mentions against its own 30-minute history over the
-- 14 whole UTC days before (buckets without mentions count as 0), from the daily rollup's sums.
WITH latest AS (
    SELECT max(bucket_start) AS b FROM tickerpulse.sentiment_30m
), hist AS (
    SELECT d.ticker,
           sum(d.mentions)::double precision / (14 * 48) AS mean,
           sum(d.mentions_sq)::double precision / (14 * 48) AS mean_sq
    FROM tickerpulse.sentiment_1d d, latest
    WHERE d.day_start >= date_trunc('day', latest.b, 'UTC') - interval '14 days'
      AND d.day_start < date_trunc('day', latest.b, 'UTC')
    GROUP BY d.ticker
)
-- The spread is floored at 1 mention, so a quiet ticker needs a real jump, and a ticker with no
-- history that suddenly has 10+ mentions surges.
SELECT s.ticker,
       round(((s.mentions - m.mean)
              / greatest(sqrt(greatest(m.mean_sq - m.mean * m.mean, 0)), 1))::numeric,
             2)::double precision AS z
FROM tickerpulse.sentiment_30m s
JOIN latest ON s.bucket_start = latest.b
LEFT JOIN hist h ON h.ticker = s.ticker
CROSS JOIN LATERAL (SELECT coalesce(h.mean, 0) AS mean, coalesce(h.mean_sq, 0) AS mean_sq) m
WHERE s.mentions >= 10
