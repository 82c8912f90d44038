SELECT symbol FROM tickerpulse.symbols
WHERE EXISTS (SELECT 1 FROM tickerpulse.sentiment_1d d WHERE d.ticker = symbols.symbol)
ORDER BY symbol
