-- The rolling 24 hours per ticker as of the end of one 30-minute bucket: the same formula as the
-- 30-minute rollup (tickerpulse.ticker_window_stats), over the 48 partitions that end with it,
-- with the decay measured to the bucket end, and the rank among tickers.
DELETE FROM tickerpulse.sentiment_24h WHERE bucket_start = %(bucket_start)s;

INSERT INTO tickerpulse.sentiment_24h (
    ticker, bucket_start, mentions, unique_authors, scored, raw_mean, weighted_mean,
    total_weight, consensus, confidence, tier, rank
)
SELECT a.ticker, %(bucket_start)s, a.mentions, a.unique_authors, a.scored, a.raw_mean,
       a.weighted_mean, a.total_weight, a.consensus, a.confidence, a.tier,
       row_number() OVER (ORDER BY a.mentions DESC, a.total_weight DESC, a.ticker)::integer
FROM tickerpulse.ticker_window_stats(
    %(bucket_end)s::timestamptz - interval '24 hours', %(bucket_end)s, %(decay)s,
    %(source_names)s::text[], %(source_weights)s::double precision[], %(default_source_weight)s,
    %(post_count_k)s, %(post_count_max_bonus)s, %(confidence_scale)s) AS a;
