-- The real-data check loads recorded comments straight into posts (no lake, no DAG run).
INSERT INTO tickerpulse.posts (
    post_id, kind, subreddit, author_hash, title, body, created_utc, score, num_comments,
    parent_id, permalink, content_hash, simhash, tickers, interval_start
)
VALUES (%(post_id)s, %(kind)s, %(subreddit)s, %(author_hash)s, NULL, %(body)s, %(created_utc)s,
        %(score)s, NULL, NULL, %(permalink)s, %(content_hash)s, %(simhash)s, %(tickers)s,
        %(interval_start)s)
ON CONFLICT (post_id) DO NOTHING;
