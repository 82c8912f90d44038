-- Staging for the posts of one interval; dropped with the transaction.
CREATE TEMP TABLE stage_posts (LIKE tickerpulse.posts INCLUDING DEFAULTS) ON COMMIT DROP;
