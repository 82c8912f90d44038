WITH latest AS (
    SELECT max(computed_for) AS computed_for
    FROM tickerpulse.hit_rates
    WHERE computed_for <= ($__timeTo()::timestamptz AT TIME ZONE 'UTC')::date
)
SELECT h.ticker, h.n,
       round(h.hit_rate::numeric, 3) AS hit_rate,
       round(h.baseline_up_rate::numeric, 3) AS baseline_up_rate,
       round((h.hit_rate - h.baseline_up_rate)::numeric, 3) AS edge,
       h.computed_for
FROM tickerpulse.hit_rates h
JOIN latest USING (computed_for)
ORDER BY edge DESC NULLS LAST, h.ticker
LIMIT 200
