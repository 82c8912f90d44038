-- 003: sentiment eval runs, one row per (dataset, scorer) measured. Safe to re-run.
--
-- Written by `tickerpulse eval` and the sentiment_eval DAG; read by the Grafana "Sentiment eval"
-- dashboard to compare scorers, models and prompt versions over time. run_key is set by the DAG
-- (its run id and the scorer) so a retry replaces its own row; CLI runs leave it NULL and always
-- add a row. started_at comes from the caller: the DAG's logical date, or the CLI's clock.
CREATE TABLE IF NOT EXISTS tickerpulse.eval_runs (
    id               bigserial PRIMARY KEY,
    run_key          text UNIQUE,
    dataset_name     text NOT NULL,
    dataset_sha256   text NOT NULL CHECK (dataset_sha256 ~ '^[0-9a-f]{64}$'),
    scorer           text NOT NULL,
    scorer_version   text NOT NULL,
    model            text,
    prompt_version   text,
    n                integer NOT NULL CHECK (n > 0),
    unscored         integer NOT NULL DEFAULT 0 CHECK (unscored BETWEEN 0 AND n),
    accuracy         double precision NOT NULL CHECK (accuracy BETWEEN 0 AND 1),
    macro_f1         double precision NOT NULL CHECK (macro_f1 BETWEEN 0 AND 1),
    per_class        jsonb NOT NULL,    -- label -> {precision, recall, f1, support}
    confusion        jsonb NOT NULL,    -- gold label -> predicted label -> count
    pearson          double precision CHECK (pearson BETWEEN -1 AND 1),
    spearman         double precision CHECK (spearman BETWEEN -1 AND 1),
    cosine           double precision CHECK (cosine BETWEEN -1 AND 1),
    texts_per_sec    double precision NOT NULL CHECK (texts_per_sec > 0),
    report_path      text,
    started_at       timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS eval_runs_started_idx ON tickerpulse.eval_runs (started_at);
CREATE INDEX IF NOT EXISTS eval_runs_scorer_idx
    ON tickerpulse.eval_runs (dataset_name, scorer, scorer_version, started_at);

-- Grafana's read-only role may read it: the reader's grants are an allow-list (004_serving.sql
-- re-grants this table after its REVOKE); granting here too makes it readable as soon as it exists.
GRANT SELECT ON tickerpulse.eval_runs TO tickerpulse_reader;
