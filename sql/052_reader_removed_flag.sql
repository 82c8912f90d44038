-- 052: the reader may see whether a post was removed, so the JSON API's explain view can say why
-- a post it lists does not count in the rollup. A boolean; the body and author stay hidden.
-- Safe to re-run.
GRANT SELECT (removed) ON tickerpulse.posts TO tickerpulse_reader;
