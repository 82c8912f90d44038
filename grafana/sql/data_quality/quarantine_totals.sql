SELECT reason, count(*) AS quarantined
FROM tickerpulse.quarantine
WHERE $__timeFilter(interval_start)
GROUP BY reason
ORDER BY quarantined DESC, reason
