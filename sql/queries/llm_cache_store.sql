-- Store scored answers; the first answer for a key wins, so a row served from the cache later
-- reports the tokens it was first scored with (tickerpulse.scoring.cache.ScoreCache.store).
INSERT INTO tickerpulse.llm_score_cache (
    content_key, model, prompt_version, scores, tokens_in, tokens_out
)
SELECT k, %(model)s, %(prompt_version)s, s, ti, t_o
FROM unnest(
    %(keys)s::text[], %(scores)s::jsonb[], %(tokens_in)s::bigint[], %(tokens_out)s::bigint[]
) AS u (k, s, ti, t_o)
ON CONFLICT (content_key, model, prompt_version) DO NOTHING;
