-- Comments keep the thread they belong to (Reddit's link_id, a t3_ fullname), beside parent_id
-- (what they reply to), so a comment deep in a discussion thread can be traced to its post.
ALTER TABLE tickerpulse.posts ADD COLUMN IF NOT EXISTS link_id text;
-- The thread is no more private than the permalink, which readers already see.
GRANT SELECT (link_id) ON tickerpulse.posts TO tickerpulse_reader;
