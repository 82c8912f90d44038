INSERT INTO tickerpulse.post_sentiment (
    post_id, ticker, scorer_version, status, score, label, reasoning, scorer, model,
    prompt_version, mention_kind, mention_weight, interval_start
)
VALUES (%(post_id)s, %(ticker)s, %(scorer_version)s, 'scored', %(score)s, %(label)s,
        %(reasoning)s, 'offline', NULL, NULL, %(mention_kind)s, %(mention_weight)s,
        %(interval_start)s)
ON CONFLICT (post_id, ticker, scorer_version) DO NOTHING;
