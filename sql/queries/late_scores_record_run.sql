INSERT INTO tickerpulse.late_score_runs (
    interval_start, candidates, refreshed_posts, refreshed_comments, skipped_no_ticker,
    skipped_off_age, skipped_over_cap, requests
) VALUES (
    %(interval_start)s, %(candidates)s, %(refreshed_posts)s, %(refreshed_comments)s,
    %(skipped_no_ticker)s, %(skipped_off_age)s, %(skipped_over_cap)s, %(requests)s
)
ON CONFLICT (interval_start) DO UPDATE SET
    candidates = EXCLUDED.candidates, refreshed_posts = EXCLUDED.refreshed_posts,
    refreshed_comments = EXCLUDED.refreshed_comments,
    skipped_no_ticker = EXCLUDED.skipped_no_ticker, skipped_off_age = EXCLUDED.skipped_off_age,
    skipped_over_cap = EXCLUDED.skipped_over_cap, requests = EXCLUDED.requests
