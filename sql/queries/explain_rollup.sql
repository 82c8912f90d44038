-- The stored rollup row that `tickerpulse explain` explains.
SELECT mentions, scored, raw_mean, weighted_mean, confidence, tier, rank, rank_24h_ago,
       mentions_24h_ago
FROM tickerpulse.sentiment_30m
WHERE ticker = %(ticker)s AND bucket_start = %(bucket_start)s;
