SELECT id, run_key, dataset_name, dataset_sha256, scorer, scorer_version, model, prompt_version,
       n, unscored, accuracy, macro_f1, per_class, confusion, pearson, spearman, cosine,
       texts_per_sec, report_path, started_at
FROM tickerpulse.eval_runs
ORDER BY started_at DESC, id DESC
LIMIT %(limit)s;
