-- Per symbol, the first and last day it traded, where known (NULL: no limit on that side).
-- First: Yahoo's firstTradeDate, else the curated date, else the day before the symbol appeared
-- in the directory (the last refresh that did not list it; a symbol present at the very first
-- refresh has no known start). Last: the curated date, else, for a symbol the latest refresh no
-- longer lists, the first refresh that missed it. Both directory bounds err towards counting a
-- mention: a refresh that runs less than daily only knows the change happened in between.
WITH refreshes AS (
    SELECT refreshed_on FROM tickerpulse.symbol_directory_refreshes
), bounds AS (
    SELECT min(refreshed_on) AS first_refresh, max(refreshed_on) AS last_refresh FROM refreshes
)
SELECT s.symbol,
       coalesce(
           y.first_trade_date,
           s.first_trade_date,
           CASE WHEN s.first_seen > b.first_refresh
                THEN (SELECT max(r.refreshed_on) FROM refreshes r WHERE r.refreshed_on < s.first_seen)
           END
       ) AS first_trade,
       coalesce(
           s.last_trade_date,
           CASE WHEN s.last_seen < b.last_refresh
                THEN (SELECT min(r.refreshed_on) FROM refreshes r WHERE r.refreshed_on > s.last_seen)
           END
       ) AS last_trade
FROM tickerpulse.symbols s
CROSS JOIN bounds b
LEFT JOIN tickerpulse.symbol_first_trades y ON y.symbol = s.symbol
UNION ALL
SELECT y.symbol, y.first_trade_date, NULL::date
FROM tickerpulse.symbol_first_trades y
WHERE NOT EXISTS (SELECT 1 FROM tickerpulse.symbols s WHERE s.symbol = y.symbol)
ORDER BY 1;
