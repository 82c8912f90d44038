INSERT INTO tickerpulse.posts AS p
SELECT * FROM stage_posts
ON CONFLICT (post_id) DO UPDATE SET
    kind = EXCLUDED.kind, subreddit = EXCLUDED.subreddit, author_hash = EXCLUDED.author_hash,
    title = EXCLUDED.title, body = EXCLUDED.body, created_utc = EXCLUDED.created_utc,
    score = EXCLUDED.score, num_comments = EXCLUDED.num_comments,
    parent_id = EXCLUDED.parent_id, link_id = EXCLUDED.link_id, permalink = EXCLUDED.permalink,
    content_hash = EXCLUDED.content_hash, simhash = EXCLUDED.simhash,
    author_name = EXCLUDED.author_name,
    tickers = EXCLUDED.tickers, interval_start = EXCLUDED.interval_start;
