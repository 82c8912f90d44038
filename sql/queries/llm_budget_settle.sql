-- Replace a call's reservation by what it actually cost.
UPDATE tickerpulse.llm_budgets
SET reserved_usd = reserved_usd - %(reserved_usd)s + %(actual_usd)s,
    spent_usd = spent_usd + %(actual_usd)s,
    updated_at = now()
WHERE run_key = %(run_key)s;
