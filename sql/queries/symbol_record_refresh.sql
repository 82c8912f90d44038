-- One run of the directory refresh, on its day: what first_seen / last_seen are measured against.
INSERT INTO tickerpulse.symbol_directory_refreshes (refreshed_on, symbols)
VALUES (%(refreshed_on)s, %(symbols)s)
ON CONFLICT (refreshed_on) DO UPDATE SET symbols = EXCLUDED.symbols;
