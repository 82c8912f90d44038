-- Cached bars of some tickers with bar_start in [range_start, range_end), every bar size.
SELECT ticker, bar_size, bar_start,
       coalesce(bar_end, bar_start + CASE bar_size WHEN '1d' THEN interval '6 hours 30 minutes'
                                                   WHEN '1h' THEN interval '1 hour'
                                                   ELSE interval '30 minutes' END) AS bar_end,
       open, close
FROM tickerpulse.prices
WHERE ticker = ANY(%(tickers)s)
  AND bar_size IN ('30m', '1h', '1d')
  AND bar_start >= %(range_start)s
  AND bar_start < %(range_end)s
ORDER BY ticker, bar_start, bar_size;
