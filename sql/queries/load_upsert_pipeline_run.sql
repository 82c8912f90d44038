INSERT INTO tickerpulse.pipeline_runs (
    interval_start, interval_end, extracted, quarantined, duplicates, bots, loaded, with_tickers,
    scored, unscored, llm_calls, tokens_in, tokens_out, cost_usd, cache_hits, scorer_version,
    dq_docs_path, dropped_by_reason, quarantined_by_reason, llm_fallback,
    mentions_dropped_by_reason
) VALUES (
    %(interval_start)s, %(interval_end)s, %(extracted)s, %(quarantined)s, %(duplicates)s,
    %(bots)s, %(loaded)s, %(with_tickers)s, %(scored)s, %(unscored)s, %(llm_calls)s,
    %(tokens_in)s, %(tokens_out)s, %(cost_usd)s, %(cache_hits)s, %(scorer_version)s,
    %(dq_docs_path)s, %(dropped_by_reason)s::jsonb, %(quarantined_by_reason)s::jsonb,
    %(llm_fallback)s, %(mentions_dropped_by_reason)s::jsonb
)
ON CONFLICT (interval_start) DO UPDATE SET
    interval_end = EXCLUDED.interval_end, extracted = EXCLUDED.extracted,
    quarantined = EXCLUDED.quarantined, duplicates = EXCLUDED.duplicates, bots = EXCLUDED.bots,
    loaded = EXCLUDED.loaded, with_tickers = EXCLUDED.with_tickers, scored = EXCLUDED.scored,
    unscored = EXCLUDED.unscored, llm_calls = EXCLUDED.llm_calls,
    tokens_in = EXCLUDED.tokens_in, tokens_out = EXCLUDED.tokens_out,
    cost_usd = EXCLUDED.cost_usd, cache_hits = EXCLUDED.cache_hits,
    scorer_version = EXCLUDED.scorer_version, dq_docs_path = EXCLUDED.dq_docs_path,
    dropped_by_reason = EXCLUDED.dropped_by_reason,
    quarantined_by_reason = EXCLUDED.quarantined_by_reason,
    llm_fallback = EXCLUDED.llm_fallback,
    mentions_dropped_by_reason = EXCLUDED.mentions_dropped_by_reason;
