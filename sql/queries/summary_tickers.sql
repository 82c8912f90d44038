-- Per ticker over a window: mentions, mention-weighted sentiment, the tier of that mean, and the
-- price change from the first to the last close seen in the window's rollups.
WITH w AS (
    SELECT * FROM tickerpulse.sentiment_30m
    WHERE bucket_start >= %(start)s AND bucket_start < %(end)s
), firstlast AS (
    SELECT DISTINCT ON (ticker) ticker, price_close AS first_close
    FROM w WHERE price_close IS NOT NULL ORDER BY ticker, bucket_start
), lastc AS (
    SELECT DISTINCT ON (ticker) ticker, price_close AS last_close
    FROM w WHERE price_close IS NOT NULL ORDER BY ticker, bucket_start DESC
), s AS (
    SELECT ticker,
           sum(mentions) AS mentions,
           sum(weighted_mean * scored) / nullif(sum(scored) FILTER (WHERE weighted_mean IS NOT NULL), 0) AS sentiment,
           sum(raw_mean * scored) / nullif(sum(scored) FILTER (WHERE raw_mean IS NOT NULL), 0) AS raw_sentiment
    FROM w GROUP BY ticker
)
SELECT s.ticker, s.mentions, round(s.sentiment::numeric, 3) AS sentiment,
       round(s.raw_sentiment::numeric, 3) AS raw_sentiment,
       CASE
           WHEN s.sentiment IS NULL THEN 'unscored'
           WHEN s.sentiment <= -0.3 THEN 'strong_bearish'
           WHEN s.sentiment <= -0.1 THEN 'bearish'
           WHEN s.sentiment < 0.1 THEN 'neutral'
           WHEN s.sentiment < 0.3 THEN 'bullish'
           ELSE 'strong_bullish'
       END AS tier,
       round((100 * (l.last_close - f.first_close) / nullif(f.first_close, 0))::numeric, 2) AS price_change_pct
FROM s
LEFT JOIN firstlast f USING (ticker)
LEFT JOIN lastc l USING (ticker)
ORDER BY s.mentions DESC, s.ticker
LIMIT %(top)s;
