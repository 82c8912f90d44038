INSERT INTO tickerpulse.hit_rates (
    ticker, computed_for, n, hits, hit_rate, baseline_up_rate, window_start, window_end
)
VALUES (%(ticker)s, %(computed_for)s, %(n)s, %(hits)s, %(hit_rate)s, %(baseline_up_rate)s,
        %(window_start)s, %(window_end)s);
