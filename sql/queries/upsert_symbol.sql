-- One row of the exchange symbol directory (maintenance DAG: tickerpulse.symbols_directory).
INSERT INTO tickerpulse.symbols (symbol, name, exchange, is_etf, test_issue, ambiguity, aliases,
                                 refreshed_at)
VALUES (%(symbol)s, %(name)s, %(exchange)s, %(is_etf)s, %(test_issue)s, %(ambiguity)s,
        %(aliases)s, now())
ON CONFLICT (symbol) DO UPDATE SET
    name = EXCLUDED.name, exchange = EXCLUDED.exchange, is_etf = EXCLUDED.is_etf,
    test_issue = EXCLUDED.test_issue, ambiguity = EXCLUDED.ambiguity,
    aliases = EXCLUDED.aliases, refreshed_at = EXCLUDED.refreshed_at;
