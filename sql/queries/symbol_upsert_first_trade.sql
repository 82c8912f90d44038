-- Yahoo's firstTradeDate for one symbol, from the chart metadata of a price fetch.
INSERT INTO tickerpulse.symbol_first_trades (symbol, first_trade_date, source)
VALUES (%(symbol)s, %(first_trade_date)s, %(source)s)
ON CONFLICT (symbol) DO UPDATE SET
    first_trade_date = EXCLUDED.first_trade_date, source = EXCLUDED.source
WHERE symbol_first_trades.first_trade_date IS DISTINCT FROM EXCLUDED.first_trade_date;
