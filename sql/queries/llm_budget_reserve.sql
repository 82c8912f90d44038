-- Reserve the worst-case cost of one call, atomically: no row comes back when it would take the
-- run over its limit (tickerpulse.scoring.budget.PgSpendGuard.reserve).
UPDATE tickerpulse.llm_budgets
SET reserved_usd = reserved_usd + %(usd)s, updated_at = now()
WHERE run_key = %(run_key)s AND reserved_usd + %(usd)s <= limit_usd
RETURNING reserved_usd;
