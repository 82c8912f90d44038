-- Coverage rows of some tickers at one bar size that overlap [range_start, range_end).
SELECT ticker, range_start, range_end, status, attempts
FROM tickerpulse.price_coverage
WHERE ticker = ANY(%(tickers)s)
  AND bar_size = %(bar_size)s
  AND range_start < %(range_end)s
  AND range_end > %(range_start)s
ORDER BY ticker, range_start;
