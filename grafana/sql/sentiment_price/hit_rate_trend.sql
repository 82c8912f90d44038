-- Across tickers, weighted by sample size: is sentiment beating "always bullish"?
SELECT computed_for::timestamp AT TIME ZONE 'UTC' AS "time",
       sum(hit_rate * n) / nullif(sum(n), 0) AS hit_rate,
       sum(baseline_up_rate * n) / nullif(sum(n), 0) AS baseline_up_rate
FROM tickerpulse.hit_rates
WHERE computed_for BETWEEN ($__timeFrom()::timestamptz AT TIME ZONE 'UTC')::date
                       AND ($__timeTo()::timestamptz AT TIME ZONE 'UTC')::date
GROUP BY computed_for
ORDER BY 1
