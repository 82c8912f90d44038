-- The 30-minute rollup per ticker for one bucket, rebuilt from the loaded rows of that bucket.
-- Weight of a (post, ticker) mention:
--   symbol ambiguity weight (1.0 for cashtags and company names)
--   * time decay exp(-lambda * hours from the post to the bucket end)
--   * upvote weight 1 + ln(1 + max(score, 0))
-- weighted_mean is clamped to [-1, 1]; raw_mean is the plain mean beside it.
-- confidence grows with the total weight and shrinks with disagreement (the spread of scores).
-- Prices: as-of join, the close of the last bar that started before the bucket end, and its change
-- against the last bar that started before the bucket start.
DELETE FROM tickerpulse.sentiment_30m WHERE bucket_start = %(bucket_start)s;

WITH mention AS (
    SELECT s.ticker,
           p.post_id,
           p.author_hash,
           s.status,
           s.score,
           s.mention_weight
             * exp(-%(decay)s * extract(epoch FROM (%(bucket_end)s::timestamptz - p.created_utc)) / 3600.0)
             * (1 + ln(1 + greatest(coalesce(p.score, 0), 0))) AS w
    FROM tickerpulse.post_sentiment s
    JOIN tickerpulse.posts p USING (post_id)
    WHERE p.interval_start = %(bucket_start)s
), agg AS (
    SELECT ticker,
           count(DISTINCT post_id)                                    AS mentions,
           count(DISTINCT author_hash)                                AS unique_authors,
           count(*) FILTER (WHERE status = 'scored')                  AS scored,
           avg(score) FILTER (WHERE status = 'scored')                AS raw_mean,
           sum(w * score) FILTER (WHERE status = 'scored')
             / nullif(sum(w) FILTER (WHERE status = 'scored'), 0)     AS weighted_mean,
           coalesce(sum(w) FILTER (WHERE status = 'scored'), 0)       AS total_weight,
           coalesce(stddev_pop(score) FILTER (WHERE status = 'scored'), 0) AS spread
    FROM mention
    GROUP BY ticker
), priced AS (
    SELECT a.*,
           (SELECT close FROM tickerpulse.prices pr
             WHERE pr.ticker = a.ticker AND pr.bar_size = '30m'
               AND pr.bar_start < %(bucket_end)s::timestamptz
             ORDER BY pr.bar_start DESC LIMIT 1) AS price_close,
           (SELECT close FROM tickerpulse.prices pr
             WHERE pr.ticker = a.ticker AND pr.bar_size = '30m'
               AND pr.bar_start < %(bucket_start)s::timestamptz
             ORDER BY pr.bar_start DESC LIMIT 1) AS price_before
    FROM agg a
)
INSERT INTO tickerpulse.sentiment_30m (
    ticker, bucket_start, mentions, unique_authors, scored, raw_mean, weighted_mean,
    confidence, tier, price_close, price_change_pct
)
SELECT ticker,
       %(bucket_start)s,
       mentions,
       unique_authors,
       scored,
       round(raw_mean::numeric, 6)::double precision,
       round(greatest(-1, least(1, weighted_mean))::numeric, 6)::double precision,
       round(((1 - exp(-total_weight / 3.0)) * (1 - least(1, spread)))::numeric, 6)::double precision,
       CASE
           WHEN weighted_mean IS NULL THEN 'unscored'
           WHEN weighted_mean <= -0.3 THEN 'strong_bearish'
           WHEN weighted_mean <= -0.1 THEN 'bearish'
           WHEN weighted_mean < 0.1 THEN 'neutral'
           WHEN weighted_mean < 0.3 THEN 'bullish'
           ELSE 'strong_bullish'
       END,
       price_close,
       CASE WHEN price_before > 0
            THEN round((100 * (price_close - price_before) / price_before)::numeric, 4)::double precision
       END
FROM priced;
