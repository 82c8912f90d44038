INSERT INTO tickerpulse.eval_runs (
    run_key, dataset_name, dataset_sha256, scorer, scorer_version, model, prompt_version, n,
    unscored, accuracy, macro_f1, per_class, confusion, pearson, spearman, cosine,
    texts_per_sec, report_path, started_at
) VALUES (
    %(run_key)s, %(dataset_name)s, %(dataset_sha256)s, %(scorer)s, %(scorer_version)s, %(model)s,
    %(prompt_version)s, %(n)s, %(unscored)s, %(accuracy)s, %(macro_f1)s, %(per_class)s::jsonb,
    %(confusion)s::jsonb, %(pearson)s, %(spearman)s, %(cosine)s, %(texts_per_sec)s,
    %(report_path)s, %(started_at)s
)
ON CONFLICT (run_key) DO UPDATE SET
    dataset_name = EXCLUDED.dataset_name, dataset_sha256 = EXCLUDED.dataset_sha256,
    scorer = EXCLUDED.scorer, scorer_version = EXCLUDED.scorer_version, model = EXCLUDED.model,
    prompt_version = EXCLUDED.prompt_version, n = EXCLUDED.n, unscored = EXCLUDED.unscored,
    accuracy = EXCLUDED.accuracy, macro_f1 = EXCLUDED.macro_f1, per_class = EXCLUDED.per_class,
    confusion = EXCLUDED.confusion, pearson = EXCLUDED.pearson, spearman = EXCLUDED.spearman,
    cosine = EXCLUDED.cosine, texts_per_sec = EXCLUDED.texts_per_sec,
    report_path = EXCLUDED.report_path, started_at = EXCLUDED.started_at
RETURNING id;
