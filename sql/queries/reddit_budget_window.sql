-- Requests let through in the window, and the seconds until one fewer than %(allowed)s remain
-- (when the %(allowed)s-th newest grant leaves the window); NULL when there is room now.
WITH w AS (
    SELECT at FROM tickerpulse.reddit_budget_grants
    WHERE client = %(client)s AND at > clock_timestamp() - make_interval(secs => %(period)s)
)
SELECT (SELECT count(*) FROM w) AS used,
       (SELECT extract(epoch FROM at + make_interval(secs => %(period)s) - clock_timestamp())
        FROM w ORDER BY at DESC OFFSET %(allowed)s - 1 LIMIT 1)::double precision AS wait_s
