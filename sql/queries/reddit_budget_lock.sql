-- Queue on the client's row (created on first use), then forget grants older than the window.
INSERT INTO tickerpulse.reddit_budget (client) VALUES (%(client)s) ON CONFLICT (client) DO NOTHING;
SELECT 1 FROM tickerpulse.reddit_budget WHERE client = %(client)s FOR UPDATE;
DELETE FROM tickerpulse.reddit_budget_grants
WHERE client = %(client)s AND at <= clock_timestamp() - make_interval(secs => %(period)s);
