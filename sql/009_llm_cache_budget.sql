-- 009: LLM answer cache, per-run spend budget, per-call trace, and the offline-fallback flag.
-- Safe to re-run.
--
-- * llm_score_cache: one scored answer per (content hash, model, prompt version), so a re-run or
--   a backfill of posts already scored makes no LLM call. The key is the content, not the post
--   id: two posts with the same text and tickers share one answer. tokens_in/tokens_out are the
--   tokens attributed to the post when it was first scored, so a row served from the cache is
--   identical to the row first written. No wall-clock column: a re-run must leave it unchanged.
-- * llm_budgets: the spend of one DAG run against its cap, shared by all mapped score tasks
--   (tickerpulse.scoring.budget). Operational history: in tickerpulse.ops.OPS_TABLES.
-- * llm_calls: one row per chat-completions call, to trace tokens, cost, retries and latency.
--   Operational history: in tickerpulse.ops.OPS_TABLES.
-- * post_sentiment.fallback_reason: why a row was scored by the offline scorer although the run
--   asked for the LLM (e.g. 'llm budget reached'); null otherwise.

CREATE TABLE IF NOT EXISTS tickerpulse.llm_score_cache (
    content_key     text NOT NULL,              -- sha256 of canonical JSON of (text, tickers)
    model           text NOT NULL,
    prompt_version  text NOT NULL,
    scores          jsonb NOT NULL,             -- [{ticker, score, label, reasoning}, ...]
    tokens_in       bigint NOT NULL CHECK (tokens_in >= 0),
    tokens_out      bigint NOT NULL CHECK (tokens_out >= 0),
    PRIMARY KEY (content_key, model, prompt_version)
);

CREATE TABLE IF NOT EXISTS tickerpulse.llm_budgets (
    run_key         text PRIMARY KEY,           -- the Airflow run id (or interval key + run id)
    limit_usd       numeric(14, 6) NOT NULL CHECK (limit_usd >= 0),
    reserved_usd    numeric(14, 6) NOT NULL DEFAULT 0,  -- in flight + settled
    spent_usd       numeric(14, 6) NOT NULL DEFAULT 0,  -- settled (actual usage)
    refused         integer NOT NULL DEFAULT 0,         -- reserve() calls answered "no"
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS tickerpulse.llm_calls (
    call_id         bigserial PRIMARY KEY,
    run_key         text NOT NULL,
    interval_start  timestamptz NOT NULL,
    shard_no        integer NOT NULL,
    call_no         integer NOT NULL,
    model           text,
    posts           integer NOT NULL,
    tokens_in       bigint NOT NULL,
    tokens_out      bigint NOT NULL,
    cost_usd        numeric(14, 6) NOT NULL,
    status          text NOT NULL,
    attempt         integer NOT NULL,
    latency_s       double precision,
    recorded_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS llm_calls_interval_idx ON tickerpulse.llm_calls (interval_start);
CREATE INDEX IF NOT EXISTS llm_calls_run_idx ON tickerpulse.llm_calls (run_key);

ALTER TABLE tickerpulse.post_sentiment ADD COLUMN IF NOT EXISTS fallback_reason text;

-- Posts of the run scored offline because the LLM budget was reached (their rows carry
-- fallback_reason), next to llm_calls, tokens and cost in the run metrics.
ALTER TABLE tickerpulse.pipeline_runs
    ADD COLUMN IF NOT EXISTS llm_fallback integer NOT NULL DEFAULT 0;
