-- Of some tickers, those with at least one cached bar of one size starting in [range_start,
-- range_end): the rest fall back to the next bar size.
SELECT DISTINCT ticker
FROM tickerpulse.prices
WHERE ticker = ANY(%(tickers)s)
  AND bar_size = %(bar_size)s
  AND bar_start >= %(range_start)s
  AND bar_start < %(range_end)s;
