-- Count a reservation that the limit refused.
UPDATE tickerpulse.llm_budgets
SET refused = refused + 1, updated_at = now()
WHERE run_key = %(run_key)s;
