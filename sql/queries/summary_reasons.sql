SELECT 'quarantined' AS outcome, reason, count(*) AS n
FROM tickerpulse.quarantine
WHERE interval_start >= %(start)s AND interval_start < %(end)s
GROUP BY reason
UNION ALL
SELECT 'dropped', reason, count(*)
FROM tickerpulse.dropped
WHERE interval_start >= %(start)s AND interval_start < %(end)s
GROUP BY reason
UNION ALL
SELECT 'mention dropped', reason, count(*)
FROM tickerpulse.dropped_mentions
WHERE interval_start >= %(start)s AND interval_start < %(end)s
GROUP BY reason
ORDER BY 1, 3 DESC, 2;
