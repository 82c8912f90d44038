-- Per ticker and bar size, the end of the latest range that is settled (asked and answered).
SELECT ticker, bar_size, max(range_end)
FROM tickerpulse.price_coverage
WHERE ticker = ANY(%(tickers)s) AND status IN ('ok', 'empty', 'gave_up')
GROUP BY ticker, bar_size;
