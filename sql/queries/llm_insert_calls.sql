-- One row per chat-completions call of a score task (tickerpulse.stages.score), for cost tracing.
INSERT INTO tickerpulse.llm_calls (
    run_key, interval_start, shard_no, call_no, model, posts, tokens_in, tokens_out, cost_usd,
    status, attempt, latency_s
)
SELECT %(run_key)s, %(interval_start)s, %(shard_no)s, u.call_no, %(model)s, u.posts, u.tokens_in,
       u.tokens_out, u.cost_usd, u.status, u.attempt, u.latency_s
FROM unnest(
    %(call_no)s::integer[], %(posts)s::integer[], %(tokens_in)s::bigint[], %(tokens_out)s::bigint[],
    %(cost_usd)s::numeric[], %(status)s::text[], %(attempt)s::integer[],
    %(latency_s)s::double precision[]
) AS u (call_no, posts, tokens_in, tokens_out, cost_usd, status, attempt, latency_s);
