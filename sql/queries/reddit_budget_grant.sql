INSERT INTO tickerpulse.reddit_budget_grants (client, at) VALUES (%(client)s, clock_timestamp());
UPDATE tickerpulse.reddit_budget
SET granted = granted + 1, waited_s = waited_s + %(waited)s
WHERE client = %(client)s;
