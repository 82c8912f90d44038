-- The budget row of one run; the first task of the run to open it sets the limit.
INSERT INTO tickerpulse.llm_budgets (run_key, limit_usd)
VALUES (%(run_key)s, %(limit_usd)s)
ON CONFLICT (run_key) DO NOTHING;
