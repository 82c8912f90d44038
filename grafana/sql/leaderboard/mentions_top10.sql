-- Mentions of the ten most mentioned tickers of the range, per 30 minutes up to 2 days and per
-- UTC day beyond (the daily rollup), one series per ticker.
WITH top AS (
    SELECT ticker FROM tickerpulse.ticker_totals($__timeFrom(), $__timeTo())
    ORDER BY mentions DESC, ticker LIMIT 10
)
SELECT s.bucket_start AS "time", s.ticker AS metric, s.mentions
FROM tickerpulse.sentiment_30m s
JOIN top USING (ticker)
WHERE $__timeFilter(s.bucket_start)
  AND $__timeTo()::timestamptz - $__timeFrom()::timestamptz <= interval '2 days'
UNION ALL
SELECT d.day_start, d.ticker, d.mentions
FROM tickerpulse.sentiment_1d d
JOIN top USING (ticker)
WHERE d.day_start BETWEEN date_trunc('day', $__timeFrom()::timestamptz, 'UTC') AND $__timeTo()
  AND $__timeTo()::timestamptz - $__timeFrom()::timestamptz > interval '2 days'
ORDER BY 1, 2
