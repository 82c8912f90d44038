-- How many distinct ranges each ticker came back unknown for at one bar size: past a limit it
-- is not asked again at that size (a replay without daily files must not block 30-minute bars).
SELECT ticker, count(*)::integer
FROM tickerpulse.price_coverage
WHERE ticker = ANY(%(tickers)s) AND bar_size = %(bar_size)s AND status = 'unknown'
GROUP BY ticker;
