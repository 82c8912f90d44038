-- One post's late state. A removal is sticky: a post Reddit removed does not come back.
-- Only a real change touches the row, so a refresh that learns nothing new (a replay, a re-run)
-- leaves the tables byte for byte as they were.
UPDATE tickerpulse.posts
SET score = %(score)s,
    num_comments = coalesce(%(num_comments)s, num_comments),
    removed = removed OR %(removed)s,
    score_refreshed_at = %(refreshed_at)s
WHERE post_id = %(post_id)s
  AND (score IS DISTINCT FROM %(score)s
       OR num_comments IS DISTINCT FROM coalesce(%(num_comments)s, num_comments)
       OR (NOT removed AND %(removed)s));
