-- 010: the raw Reddit user name, optional.
--
-- Author names are stored as salted hashes (posts.author_hash) by default; an operator who needs
-- the raw name (moderation, bot review) turns on TICKERPULSE_STORE_AUTHOR_NAME and it lands here.
-- The reader role's column allow-list does not include it, so Grafana never sees it.
ALTER TABLE tickerpulse.posts ADD COLUMN IF NOT EXISTS author_name text;
