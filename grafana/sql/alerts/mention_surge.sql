-- Tickers whose latest 30-minute bucket is a surge: surge_z is the robust z-score of the bucket's
-- unique authors against the same ticker's own history (same hour of the week where there is
-- enough of it), computed by the aggregate task (sql/queries/aggregate_signals.sql). Unique
-- authors, so one account posting fifty times is not a surge; NULL for tickers seen for less
-- than a week, so a new name cannot alert; and at least 5 authors, so a quiet ticker's jump from
-- 0 to 2 does not page anyone.
WITH latest AS (
    SELECT max(bucket_start) AS b FROM tickerpulse.sentiment_30m
)
SELECT s.ticker, s.surge_z AS z
FROM tickerpulse.sentiment_30m s
JOIN latest ON s.bucket_start = latest.b
WHERE s.surge_z IS NOT NULL
  AND s.unique_authors >= 5
