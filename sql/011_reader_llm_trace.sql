-- 011: Grafana may read the per-call LLM trace, so cost, retries and latency on a dashboard can
-- be traced to the calls that made them. It holds counts, tokens, cost, status and latency per
-- call, never post text or prompts. Safe to re-run.
GRANT SELECT ON tickerpulse.llm_calls TO tickerpulse_reader;
