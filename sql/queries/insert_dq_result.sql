INSERT INTO tickerpulse.dq_results (
    interval_start, suite, expectation, column_name, success,
    element_count, unexpected_count, details, docs_path
) VALUES (
    %(interval_start)s, %(suite)s, %(expectation)s, %(column_name)s, %(success)s,
    %(element_count)s, %(unexpected_count)s, %(details)s::jsonb, %(docs_path)s
)
ON CONFLICT (interval_start, suite, expectation, column_name) DO UPDATE SET
    success = EXCLUDED.success,
    element_count = EXCLUDED.element_count,
    unexpected_count = EXCLUDED.unexpected_count,
    details = EXCLUDED.details,
    docs_path = EXCLUDED.docs_path;
