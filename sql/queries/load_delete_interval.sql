-- Replace one interval: remove what an earlier run of it loaded (sentiment cascades from posts).
DELETE FROM tickerpulse.post_sentiment WHERE interval_start = %(interval_start)s;
DELETE FROM tickerpulse.posts WHERE interval_start = %(interval_start)s;
DELETE FROM tickerpulse.quarantine WHERE interval_start = %(interval_start)s;
DELETE FROM tickerpulse.dropped WHERE interval_start = %(interval_start)s;
DELETE FROM tickerpulse.dropped_mentions WHERE interval_start = %(interval_start)s;
