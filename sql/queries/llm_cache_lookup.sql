-- Cached answers for some content keys under one model and prompt version
-- (tickerpulse.scoring.cache.ScoreCache.lookup).
SELECT content_key, scores, tokens_in, tokens_out
FROM tickerpulse.llm_score_cache
WHERE model = %(model)s
  AND prompt_version = %(prompt_version)s
  AND content_key = ANY(%(keys)s::text[]);
