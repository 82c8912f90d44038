-- 041: prices for any age. Re-runnable (IF NOT EXISTS, OR REPLACE, guarded UPDATE).
--
-- Yahoo keeps 30-minute bars for ~60 days, hourly bars for ~730 days and daily bars forever, so
-- the price cache holds all three sizes ('30m', '1h', '1d'), and every price a rollup shows says
-- which size it came from (price_bar_size). A bar's close is known only from its bar_end: a
-- daily bar closing at 21:00 UTC never prices a bucket that ends at 15:00 that day.
-- * last_close(ticker, at): the close of the latest bar that had closed by `at`, at any size,
--   the finest at a tie. What the rollups show as price_close, and their price change is
--   measured against last_close at the bucket's (or day's) start.
-- * price_asof(ticker, at) also reads hourly bars.
-- * rollup_sentiment_1d: the daily rollup's price from last_close too, with its bar size.

ALTER TABLE tickerpulse.sentiment_30m ADD COLUMN IF NOT EXISTS price_bar_size text;
ALTER TABLE tickerpulse.sentiment_1d ADD COLUMN IF NOT EXISTS price_bar_size text;

-- Bars cached before 006 have no bar_end; a 30-minute bar ends 30 minutes after it starts.
UPDATE tickerpulse.prices
SET bar_end = bar_start + interval '30 minutes'
WHERE bar_end IS NULL AND bar_size = '30m';

CREATE OR REPLACE FUNCTION tickerpulse.last_close(p_ticker text, p_at timestamptz)
RETURNS TABLE (close double precision, bar_size text, bar_end timestamptz)
LANGUAGE sql
STABLE
AS $fn$
SELECT pr.close, pr.bar_size, pr.bar_end
FROM tickerpulse.prices pr
WHERE pr.ticker = p_ticker
  AND pr.bar_end <= p_at
  AND pr.close IS NOT NULL
ORDER BY pr.bar_end DESC, CASE pr.bar_size WHEN '30m' THEN 0 WHEN '1h' THEN 1 ELSE 2 END
LIMIT 1
$fn$;

CREATE OR REPLACE FUNCTION tickerpulse.price_asof(p_ticker text, p_at timestamptz)
RETURNS double precision
LANGUAGE sql
STABLE
AS $fn$
SELECT price FROM (
    SELECT pr.close AS price, coalesce(pr.bar_end, pr.bar_start + interval '30 minutes') AS at,
           1 AS pref
    FROM tickerpulse.prices pr
    WHERE pr.ticker = p_ticker AND pr.bar_size IN ('30m', '1h', '1d')
      AND coalesce(pr.bar_end, pr.bar_start + interval '30 minutes') <= p_at
    UNION ALL
    SELECT pr.open, pr.bar_start, 0
    FROM tickerpulse.prices pr
    WHERE pr.ticker = p_ticker AND pr.bar_size IN ('30m', '1h', '1d') AND pr.bar_start <= p_at
) prints
ORDER BY at DESC, pref DESC
LIMIT 1
$fn$;

CREATE OR REPLACE FUNCTION tickerpulse.rollup_sentiment_1d(p_first timestamptz, p_last timestamptz)
RETURNS integer
LANGUAGE sql
STRICT
AS $fn$
DELETE FROM tickerpulse.sentiment_1d
WHERE day_start >= date_trunc('day', p_first, 'UTC')
  AND day_start < date_trunc('day', p_last, 'UTC') + interval '1 day';

WITH daily AS (
    SELECT ticker,
           date_trunc('day', bucket_start, 'UTC') AS day_start,
           sum(mentions)::integer AS mentions,
           sum(mentions::bigint * mentions) AS mentions_sq,
           sum(scored)::integer AS scored,
           sum(raw_mean * scored) / nullif(sum(scored) FILTER (WHERE raw_mean IS NOT NULL), 0)
               AS raw_mean,
           sum(weighted_mean * scored)
               / nullif(sum(scored) FILTER (WHERE weighted_mean IS NOT NULL), 0) AS weighted_mean,
           sum(confidence * scored) / nullif(sum(scored) FILTER (WHERE confidence IS NOT NULL), 0)
               AS confidence,
           count(*)::integer AS buckets,
           max(bucket_start) AS last_bucket
    FROM tickerpulse.sentiment_30m
    WHERE bucket_start >= date_trunc('day', p_first, 'UTC')
      AND bucket_start < date_trunc('day', p_last, 'UTC') + interval '1 day'
    GROUP BY 1, 2
), ins AS (
    INSERT INTO tickerpulse.sentiment_1d (
        ticker, day_start, mentions, mentions_sq, scored, raw_mean, weighted_mean, confidence,
        tier, buckets, last_bucket, price_close, price_change_pct, price_bar_size
    )
    SELECT d.ticker, d.day_start, d.mentions, d.mentions_sq, d.scored,
           round(d.raw_mean::numeric, 6)::double precision,
           round(greatest(-1, least(1, d.weighted_mean))::numeric, 6)::double precision,
           round(d.confidence::numeric, 6)::double precision,
           tickerpulse.sentiment_tier(d.weighted_mean),
           d.buckets, d.last_bucket,
           pc.close,
           CASE WHEN pb.close > 0
                THEN round((100 * (pc.close - pb.close) / pb.close)::numeric, 4)::double precision
           END,
           pc.bar_size
    FROM daily d
    LEFT JOIN LATERAL tickerpulse.last_close(d.ticker, d.day_start + interval '1 day') pc ON true
    LEFT JOIN LATERAL tickerpulse.last_close(d.ticker, d.day_start) pb ON true
    RETURNING 1
)
SELECT count(*)::integer FROM ins;
$fn$;
