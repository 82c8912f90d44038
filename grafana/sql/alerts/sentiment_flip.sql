-- Tickers whose sentiment over the last 2 hours has the opposite sign of the 24 hours before,
-- both clearly (|mean| >= 0.2) and with enough scored mentions; the value is the swing.
WITH latest AS (
    SELECT max(bucket_start) AS b FROM tickerpulse.sentiment_30m
), w AS (
    SELECT s.ticker,
           s.bucket_start > latest.b - interval '2 hours' AS recent,
           s.scored, s.weighted_mean
    FROM tickerpulse.sentiment_30m s, latest
    WHERE s.bucket_start > latest.b - interval '26 hours' AND s.bucket_start <= latest.b
), m AS (
    SELECT ticker,
           sum(weighted_mean * scored) FILTER (WHERE recent)
               / nullif(sum(scored) FILTER (WHERE recent AND weighted_mean IS NOT NULL), 0) AS now_mean,
           sum(weighted_mean * scored) FILTER (WHERE NOT recent)
               / nullif(sum(scored) FILTER (WHERE NOT recent AND weighted_mean IS NOT NULL), 0) AS before_mean,
           coalesce(sum(scored) FILTER (WHERE recent), 0) AS now_scored
    FROM w
    GROUP BY ticker
)
SELECT ticker,
       CASE WHEN sign(now_mean) <> sign(before_mean)
                 AND abs(now_mean) >= 0.2 AND abs(before_mean) >= 0.2 AND now_scored >= 10
            THEN round(abs(now_mean - before_mean)::numeric, 3)::double precision
            ELSE 0
       END AS swing
FROM m
WHERE now_mean IS NOT NULL AND before_mean IS NOT NULL
