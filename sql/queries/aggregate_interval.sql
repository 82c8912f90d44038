-- The 30-minute rollup per ticker for one bucket, rebuilt from the loaded rows of that bucket.
-- The formula lives in tickerpulse.ticker_window_stats() (sql/005_aggregation_trust.sql; Python
-- reference: include/tickerpulse/aggregation.py): per mention, ambiguity * time decay to the
-- bucket end * source weight * log-scaled upvotes; weighted mean clamped to [-1, 1] beside the raw
-- mean; confidence from the evidence (total weight * post-count weight), consensus and sample
-- size; five tiers. Then the rank in the bucket, and rank and mentions 24 hours earlier, both for
-- this bucket and for the bucket 24 hours later (so a backfill in any order ends the same).
-- Prices: the close of the latest bar that had closed by the bucket end, at any bar size, the
-- finest at a tie (tickerpulse.last_close, sql/041_prices_any_age.sql), with that size, and its
-- change against the latest close by the bucket start. A daily bar's close is known only at the
-- session's close, so with daily bars a bucket shows the previous close until the bucket that
-- ends at the close (no look-ahead).
DELETE FROM tickerpulse.sentiment_30m WHERE bucket_start = %(bucket_start)s;

WITH agg AS (
    SELECT *
    FROM tickerpulse.ticker_window_stats(
        %(bucket_start)s, %(bucket_end)s, %(decay)s, %(source_names)s::text[],
        %(source_weights)s::double precision[], %(default_source_weight)s, %(post_count_k)s,
        %(post_count_max_bonus)s, %(confidence_scale)s)
), ranked AS (
    SELECT a.*,
           row_number() OVER (ORDER BY a.mentions DESC, a.total_weight DESC, a.ticker)::integer
               AS rnk
    FROM agg a
), priced AS (
    SELECT r.*, pc.close AS price_close, pc.bar_size AS price_bar_size, pb.close AS price_before
    FROM ranked r
    LEFT JOIN LATERAL tickerpulse.last_close(r.ticker, %(bucket_end)s::timestamptz) pc ON true
    LEFT JOIN LATERAL tickerpulse.last_close(r.ticker, %(bucket_start)s::timestamptz) pb ON true
)
INSERT INTO tickerpulse.sentiment_30m (
    ticker, bucket_start, mentions, unique_authors, scored, raw_mean, weighted_mean,
    confidence, tier, price_close, price_change_pct, total_weight, consensus, rank,
    rank_24h_ago, mentions_24h_ago, price_bar_size
)
SELECT p.ticker,
       %(bucket_start)s,
       p.mentions,
       p.unique_authors,
       p.scored,
       p.raw_mean,
       p.weighted_mean,
       p.confidence,
       p.tier,
       p.price_close,
       CASE WHEN p.price_before > 0
            THEN round((100 * (p.price_close - p.price_before) / p.price_before)::numeric, 4)::double precision
       END,
       p.total_weight,
       p.consensus,
       p.rnk,
       before.rank,
       coalesce(before.mentions, 0),
       p.price_bar_size
FROM priced p
LEFT JOIN tickerpulse.sentiment_30m before
       ON before.ticker = p.ticker
      AND before.bucket_start = %(bucket_start)s::timestamptz - interval '24 hours';

UPDATE tickerpulse.sentiment_30m later
SET rank_24h_ago = now_.rank,
    mentions_24h_ago = coalesce(now_.mentions, 0)
FROM tickerpulse.sentiment_30m later_key
LEFT JOIN tickerpulse.sentiment_30m now_
       ON now_.ticker = later_key.ticker AND now_.bucket_start = %(bucket_start)s
WHERE later_key.bucket_start = %(bucket_start)s::timestamptz + interval '24 hours'
  AND later.ticker = later_key.ticker
  AND later.bucket_start = later_key.bucket_start;
