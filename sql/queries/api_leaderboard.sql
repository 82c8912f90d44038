-- The JSON API's leaderboard: tickers by mentions over [start, end) of whole 30-minute buckets,
-- optionally one subreddit, from the additive sums of ticker_subreddit_30m. Weights were decayed
-- to each bucket's end; multiplying by exp(-decay * hours from that end to the window's end)
-- decays them to the window's end, so the weighted mean and confidence are exactly those of the
-- rollup formula (tickerpulse.ticker_window_stats) over the window. Rank and mentions 24 hours
-- earlier come from the same window shifted back a day. Surge and trend are the ticker's own
-- (all subreddits): the peak surge z of its buckets in the window and its latest trend.
WITH cur AS (
    SELECT t.ticker,
           sum(t.mentions)::bigint AS mentions,
           sum(t.upvotes)::bigint AS upvotes,
           sum(t.scored)::bigint AS n,
           sum(t.score_sum) AS s1,
           sum(t.score_sq_sum) AS s2,
           sum(t.weight_sum * f.k) AS w,
           sum(t.weighted_score_sum * f.k) AS ws,
           sum(t.calls)::bigint AS calls,
           sum(t.puts)::bigint AS puts
    FROM tickerpulse.ticker_subreddit_30m t
    CROSS JOIN LATERAL (
        SELECT exp(greatest(-700, -%(decay)s * extract(epoch FROM (
                   %(end)s::timestamptz - t.bucket_start - interval '30 minutes')) / 3600.0)) AS k
    ) f
    WHERE t.bucket_start >= %(start)s AND t.bucket_start < %(end)s
      AND (%(subreddit)s::text IS NULL OR t.subreddit = %(subreddit)s::text)
    GROUP BY t.ticker
), prev AS (
    SELECT t.ticker,
           sum(t.mentions)::bigint AS mentions,
           sum(t.weight_sum * exp(greatest(-700, -%(decay)s * extract(epoch FROM (
               %(end)s::timestamptz - interval '24 hours' - t.bucket_start
               - interval '30 minutes')) / 3600.0))) AS w
    FROM tickerpulse.ticker_subreddit_30m t
    WHERE t.bucket_start >= %(start)s::timestamptz - interval '24 hours'
      AND t.bucket_start < %(end)s::timestamptz - interval '24 hours'
      AND (%(subreddit)s::text IS NULL OR t.subreddit = %(subreddit)s::text)
    GROUP BY t.ticker
), ranked AS (
    SELECT c.*,
           row_number() OVER (ORDER BY c.mentions DESC, c.w DESC, c.ticker) AS rank,
           count(*) OVER () AS total
    FROM cur c
), prev_ranked AS (
    SELECT p.ticker, p.mentions,
           row_number() OVER (ORDER BY p.mentions DESC, p.w DESC, p.ticker) AS rank
    FROM prev p
), shaped AS (
    SELECT r.*,
           CASE WHEN r.w > 0 THEN greatest(-1, least(1, r.ws / r.w)) END AS mean,
           CASE WHEN r.n > 0
                THEN 1 - least(1, sqrt(greatest(0, r.s2 / r.n - (r.s1 / r.n) ^ 2))) END AS cons,
           CASE WHEN r.n > 1 THEN 1 + least(%(post_count_max_bonus)s, ln(r.n) * %(post_count_k)s)
                ELSE 1 END AS pc
    FROM ranked r
    WHERE r.rank > %(offset)s AND r.rank <= %(offset)s + %(limit)s
)
SELECT s.rank,
       s.ticker,
       sym.name,
       s.mentions,
       s.upvotes,
       p.rank AS rank_24h_ago,
       coalesce(p.mentions, 0) AS mentions_24h_ago,
       round(s.mean::numeric, 6)::double precision AS sentiment,
       tickerpulse.sentiment_tier(s.mean) AS tier,
       CASE WHEN s.n > 0
            THEN round(((1 - exp(-s.w * s.pc / %(confidence_scale)s)) * s.cons * s.n / (s.n + 1.0))
                       ::numeric, 6)::double precision END AS confidence,
       sg.surge_z,
       sg.trend,
       s.calls,
       s.puts,
       CASE WHEN s.calls > 0
            THEN round((s.puts::numeric / s.calls), 4)::double precision END AS put_call_ratio,
       s.total
FROM shaped s
LEFT JOIN prev_ranked p ON p.ticker = s.ticker
LEFT JOIN tickerpulse.symbols sym ON sym.symbol = s.ticker
LEFT JOIN LATERAL (
    SELECT max(x.surge_z) AS surge_z,
           (array_agg(x.trend ORDER BY x.bucket_start DESC))[1] AS trend
    FROM tickerpulse.sentiment_30m x
    WHERE x.ticker = s.ticker AND x.bucket_start >= %(start)s AND x.bucket_start < %(end)s
) sg ON true
ORDER BY s.rank;
