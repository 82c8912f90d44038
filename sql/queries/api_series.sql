-- One ticker's 30-minute series over [start, end) for the JSON API, optionally one subreddit:
-- mentions, upvotes, the bucket's weighted mean (its own sums, exact), calls and puts from
-- ticker_subreddit_30m; surge, trend and the close from the ticker's rollup row.
SELECT t.bucket_start,
       sum(t.mentions)::bigint AS mentions,
       sum(t.upvotes)::bigint AS upvotes,
       sum(t.scored)::bigint AS scored,
       round((greatest(-1, least(1, sum(t.weighted_score_sum) / nullif(sum(t.weight_sum), 0))))
             ::numeric, 6)::double precision AS sentiment,
       sum(t.calls)::bigint AS calls,
       sum(t.puts)::bigint AS puts,
       max(s.surge_z) AS surge_z,
       max(s.trend) AS trend,
       max(s.price_close) AS price_close
FROM tickerpulse.ticker_subreddit_30m t
LEFT JOIN tickerpulse.sentiment_30m s ON s.ticker = t.ticker AND s.bucket_start = t.bucket_start
WHERE t.ticker = %(ticker)s
  AND t.bucket_start >= %(start)s AND t.bucket_start < %(end)s
  AND (%(subreddit)s::text IS NULL OR t.subreddit = %(subreddit)s::text)
GROUP BY t.bucket_start
ORDER BY t.bucket_start;
