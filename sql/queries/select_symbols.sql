-- The symbol directory the extractor validates mentions against (empty until refreshed).
SELECT symbol, name, exchange, is_etf, test_issue, ambiguity, aliases
FROM tickerpulse.symbols
ORDER BY symbol;
