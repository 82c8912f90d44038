-- The posts that moved the ticker's sentiment most: |score| times the mention and upvote weights
-- of aggregate_interval.sql (without the time decay, which depends on the bucket).
SELECT p.created_utc AS "time",
       round(s.score::numeric, 2) AS sentiment,
       s.label,
       round((abs(s.score) * s.mention_weight
              * (1 + ln(1 + greatest(coalesce(p.score, 0), 0))))::numeric, 2) AS contribution,
       p.score AS upvotes,
       p.subreddit,
       coalesce(p.title, '(comment)') AS title,
       s.reasoning,
       'https://www.reddit.com' || p.permalink AS permalink
FROM tickerpulse.post_sentiment s
JOIN tickerpulse.posts p ON p.post_id = s.post_id
WHERE s.ticker = ${ticker:sqlstring}
  AND s.status = 'scored'
  AND $__timeFilter(s.interval_start)
ORDER BY contribution DESC, p.created_utc DESC
LIMIT 20
