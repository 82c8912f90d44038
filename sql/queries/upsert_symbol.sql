-- One row of the exchange symbol directory (maintenance DAG: tickerpulse.symbols_directory).
-- first_seen keeps the earliest refresh day that listed the symbol, last_seen the latest; the
-- curated trading dates are kept when the directory row has none.
INSERT INTO tickerpulse.symbols (symbol, name, exchange, is_etf, test_issue, ambiguity, aliases,
                                 refreshed_at, first_trade_date, last_trade_date, first_seen,
                                 last_seen)
VALUES (%(symbol)s, %(name)s, %(exchange)s, %(is_etf)s, %(test_issue)s, %(ambiguity)s,
        %(aliases)s, now(), %(first_trade)s, %(last_trade)s, %(seen_on)s, %(seen_on)s)
ON CONFLICT (symbol) DO UPDATE SET
    name = EXCLUDED.name, exchange = EXCLUDED.exchange, is_etf = EXCLUDED.is_etf,
    test_issue = EXCLUDED.test_issue, ambiguity = EXCLUDED.ambiguity,
    aliases = EXCLUDED.aliases, refreshed_at = EXCLUDED.refreshed_at,
    first_trade_date = coalesce(EXCLUDED.first_trade_date, symbols.first_trade_date),
    last_trade_date = coalesce(EXCLUDED.last_trade_date, symbols.last_trade_date),
    first_seen = least(symbols.first_seen, EXCLUDED.first_seen),
    last_seen = greatest(symbols.last_seen, EXCLUDED.last_seen);
