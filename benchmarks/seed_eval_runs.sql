-- Evaluation runs for the sentiment_eval dashboard (table from sql/003_eval_runs.sql), seeded
-- only when that table exists. %(end)s as in seed_serving.sql.
INSERT INTO tickerpulse.eval_runs (
    dataset_name, dataset_sha256, scorer, scorer_version, model, prompt_version, n, unscored,
    accuracy, macro_f1, per_class, confusion, pearson, spearman, cosine, texts_per_sec,
    report_path, started_at
)
SELECT 'sample', repeat('ab', 32), s.scorer, s.version, s.model, s.prompt, 500, 5,
       0.6 + k / 100.0, 0.55 + k / 100.0, '{}'::jsonb, '{}'::jsonb, 0.4, 0.38, 0.41,
       1000.0 / (1 + k), '/reports/eval_' || k || '.html',
       %(end)s::timestamptz - k * interval '6 hours'
FROM generate_series(1, 4) AS k
CROSS JOIN (VALUES ('offline', 'lexicon-v1', NULL, NULL),
                   ('llm', 'gpt-4o-mini@p1', 'gpt-4o-mini', 'p1')) AS s(scorer, version, model, prompt);
