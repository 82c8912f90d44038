-- 006: exact prices. Safe to re-run: every statement is IF NOT EXISTS, OR REPLACE or guarded.
--
-- * prices gains what a split-aware cache needs. open/high/low/close stay what they always were
--   and what every dashboard shows: SPLIT-ADJUSTED prices (Yahoo's chart convention), so a
--   series has no artificial jump at a split and returns are real returns. raw_close is the
--   as-traded close (close * split_factor); adj_close is Yahoo's dividend-and-split adjusted close
--   (daily bars only); adjusted_asof is the day the adjustment refers to. When a later fetch sees
--   a split, prices_apply_split.sql rescales the older rows, so the cache never mixes bases.
-- * price_coverage: which (ticker, bar size, range) were asked for and what came back. The
--   planner fetches only what it lacks; unknown/delisted tickers and ranges that failed are
--   recorded with a reason and retried a bounded number of times, never forever.
-- * mention_prices: per (post, ticker) the price at post time, the entry price (the next
--   session's open for a post made outside trading hours) and forward returns, filled in by later
--   runs as the prices become known.

ALTER TABLE tickerpulse.prices ADD COLUMN IF NOT EXISTS bar_end timestamptz;
ALTER TABLE tickerpulse.prices ADD COLUMN IF NOT EXISTS adj_close double precision;
ALTER TABLE tickerpulse.prices
    ADD COLUMN IF NOT EXISTS split_factor double precision NOT NULL DEFAULT 1;
ALTER TABLE tickerpulse.prices ADD COLUMN IF NOT EXISTS adjusted_asof date;
ALTER TABLE tickerpulse.prices
    ADD COLUMN IF NOT EXISTS raw_close double precision
    GENERATED ALWAYS AS (close * split_factor) STORED;
CREATE INDEX IF NOT EXISTS prices_ticker_end_idx
    ON tickerpulse.prices (ticker, bar_end) INCLUDE (close);

-- Splits seen by any fetch. ratio = new shares per old share (4 for GME's 4:1 in July 2022,
-- 0.1 for AMC's 1:10 reverse split).
CREATE TABLE IF NOT EXISTS tickerpulse.price_splits (
    ticker      text NOT NULL,
    split_date  date NOT NULL,
    ratio       double precision NOT NULL CHECK (ratio > 0),
    source      text NOT NULL,
    PRIMARY KEY (ticker, split_date)
);

CREATE TABLE IF NOT EXISTS tickerpulse.price_coverage (
    ticker       text NOT NULL,
    bar_size     text NOT NULL,
    range_start  timestamptz NOT NULL,
    range_end    timestamptz NOT NULL,
    -- ok: bars came back; empty: Yahoo answered, no bars (halt, no trades);
    -- unknown: Yahoo does not know the symbol (delisted or never listed);
    -- missing: the whole batch came back empty on a trading session after retries (the silent
    --          yfinance failure); failed: HTTP errors after retries;
    -- gave_up: missing/failed too many times; counted as covered so it is not retried forever.
    status       text NOT NULL
        CHECK (status IN ('ok', 'empty', 'unknown', 'missing', 'failed', 'gave_up')),
    reason       text,
    bars         integer NOT NULL DEFAULT 0,
    attempts     integer NOT NULL DEFAULT 1,
    source       text NOT NULL,
    CHECK (range_end > range_start),
    PRIMARY KEY (ticker, bar_size, range_start, range_end)
);
CREATE INDEX IF NOT EXISTS price_coverage_status_idx
    ON tickerpulse.price_coverage (status) WHERE status <> 'ok';

-- Tickers Yahoo does not know, with the latest reason: what an operator reads.
CREATE OR REPLACE VIEW tickerpulse.price_unknown_tickers AS
SELECT ticker,
       count(*) AS ranges_unknown,
       min(range_start) AS first_range,
       max(range_end) AS last_range,
       (array_agg(reason ORDER BY range_end DESC))[1] AS reason
FROM tickerpulse.price_coverage
WHERE status = 'unknown'
GROUP BY ticker;

CREATE TABLE IF NOT EXISTS tickerpulse.mention_prices (
    post_id          text NOT NULL,        -- no foreign key: a re-load of posts keeps these rows
    ticker           text NOT NULL,
    created_utc      timestamptz NOT NULL,
    interval_start   timestamptz NOT NULL,
    in_session       boolean NOT NULL,     -- posted during regular trading hours
    bar_size         text,                 -- resolution the prices came from: 30m or 1d
    price_asof       double precision,     -- last print at or before the post (what readers saw)
    entry_time       timestamptz,          -- first print at or after the post: next open if closed
    entry_price      double precision,
    price_interval_end double precision,   -- last print at or before the interval end
    ret_30m          double precision,     -- forward returns from the entry price
    ret_1h           double precision,
    ret_1d           double precision,
    ret_5d           double precision,
    complete         boolean NOT NULL DEFAULT false,  -- every return that can be known is
    PRIMARY KEY (post_id, ticker)
);
CREATE INDEX IF NOT EXISTS mention_prices_open_idx
    ON tickerpulse.mention_prices (interval_start) WHERE NOT complete;
CREATE INDEX IF NOT EXISTS mention_prices_ticker_idx
    ON tickerpulse.mention_prices (ticker, created_utc);

-- The latest price print at or before `at`, from 30-minute bars when there are any, else daily
-- bars. A bar's close is printed at its end (bar_end; early closes end bars early), its open at
-- its start. What the aggregate can call for price_close.
CREATE OR REPLACE FUNCTION tickerpulse.price_asof(p_ticker text, p_at timestamptz)
RETURNS double precision
LANGUAGE sql
STABLE
AS $fn$
SELECT price FROM (
    SELECT pr.close AS price, coalesce(pr.bar_end, pr.bar_start + interval '30 minutes') AS at,
           1 AS pref
    FROM tickerpulse.prices pr
    WHERE pr.ticker = p_ticker AND pr.bar_size IN ('30m', '1d')
      AND coalesce(pr.bar_end, pr.bar_start + interval '30 minutes') <= p_at
    UNION ALL
    SELECT pr.open, pr.bar_start, 0
    FROM tickerpulse.prices pr
    WHERE pr.ticker = p_ticker AND pr.bar_size IN ('30m', '1d') AND pr.bar_start <= p_at
) prints
ORDER BY at DESC, pref DESC
LIMIT 1
$fn$;

REVOKE ALL ON FUNCTION tickerpulse.price_asof(text, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tickerpulse.price_asof(text, timestamptz) TO tickerpulse_reader;

-- The analysis tables gain the sample behind each number (columns the panels do not read).
ALTER TABLE tickerpulse.correlations ADD COLUMN IF NOT EXISTS lag_pearson double precision;
ALTER TABLE tickerpulse.correlations ADD COLUMN IF NOT EXISTS bar_size text;
ALTER TABLE tickerpulse.correlations ADD COLUMN IF NOT EXISTS window_start date;
ALTER TABLE tickerpulse.correlations ADD COLUMN IF NOT EXISTS window_end date;
ALTER TABLE tickerpulse.hit_rates ADD COLUMN IF NOT EXISTS hits integer;
ALTER TABLE tickerpulse.hit_rates ADD COLUMN IF NOT EXISTS window_start date;
ALTER TABLE tickerpulse.hit_rates ADD COLUMN IF NOT EXISTS window_end date;

-- No new grants: the reader's allow-list (004) stays as it is until a dashboard reads these
-- tables. correlations, hit_rates and prices (with its new columns) are already readable.
