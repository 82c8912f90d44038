SELECT ticker, n, hits, hit_rate, baseline_up_rate
FROM tickerpulse.hit_rates
WHERE computed_for = %(computed_for)s AND ticker = ANY(%(tickers)s)
ORDER BY ticker;
