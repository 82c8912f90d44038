-- The most mentioned tickers over [start, end), for `tickerpulse report`.
SELECT ticker, mentions, weighted_mean, tickerpulse.sentiment_tier(weighted_mean) AS tier
FROM tickerpulse.ticker_totals(%(start)s, %(end)s - interval '1 microsecond')
ORDER BY mentions DESC, ticker
LIMIT %(top)s;
