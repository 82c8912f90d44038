-- One run's budget: limit, reserved (in flight + settled), spent, refused reservations.
SELECT limit_usd, reserved_usd, spent_usd, refused
FROM tickerpulse.llm_budgets
WHERE run_key = %(run_key)s;
