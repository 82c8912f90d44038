SELECT ticker, split_date, ratio
FROM tickerpulse.price_splits
WHERE ticker = ANY(%(tickers)s)
ORDER BY ticker, split_date;
