-- 040: when each symbol traded, and the ticker mentions dropped because of it. Re-runnable.
--
-- * symbols gains the days a symbol traded where they are known: first_trade_date and
--   last_trade_date (curated, e.g. HOOD from 2021-07-29), and first_seen / last_seen, the days
--   the directory refresh (maintenance DAG) first and last listed it. symbol_directory_refreshes
--   says which days a refresh ran, so "first seen" can be told from "present at the first refresh".
-- * symbol_first_trades: Yahoo's firstTradeDate from the chart metadata every price fetch already
--   receives, per symbol. Kept apart from symbols, whose rows are the directory (a symbol in
--   this table alone must not turn the warehouse's empty directory into a one-row one).
-- * dropped_mentions: a (post, ticker) the extractor found but did not count, with the reason
--   (not_yet_trading, no_longer_trading, alias_ignored_in_subreddit); the post itself is loaded.
--   pipeline_runs.mentions_dropped_by_reason counts them per reason, as dropped_by_reason does
--   for posts.

ALTER TABLE tickerpulse.symbols ADD COLUMN IF NOT EXISTS first_trade_date date;
ALTER TABLE tickerpulse.symbols ADD COLUMN IF NOT EXISTS last_trade_date date;
ALTER TABLE tickerpulse.symbols ADD COLUMN IF NOT EXISTS first_seen date;
ALTER TABLE tickerpulse.symbols ADD COLUMN IF NOT EXISTS last_seen date;

CREATE TABLE IF NOT EXISTS tickerpulse.symbol_directory_refreshes (
    refreshed_on date PRIMARY KEY,
    symbols      integer NOT NULL
);

CREATE TABLE IF NOT EXISTS tickerpulse.symbol_first_trades (
    symbol           text PRIMARY KEY,
    first_trade_date date NOT NULL,
    source           text NOT NULL
);

CREATE TABLE IF NOT EXISTS tickerpulse.dropped_mentions (
    interval_start timestamptz NOT NULL,
    post_id        text NOT NULL,
    ticker         text NOT NULL,
    reason         text NOT NULL,
    PRIMARY KEY (interval_start, post_id, ticker)
);

ALTER TABLE tickerpulse.pipeline_runs
    ADD COLUMN IF NOT EXISTS mentions_dropped_by_reason jsonb NOT NULL DEFAULT '{}'::jsonb;
