INSERT INTO tickerpulse.signal_scorecard (
    computed_for, scope, ticker, horizon, n, pairs, rank_ic, ic_t_nw, nw_lags, ic_verdict, hit_n,
    hit_rate, always_up_rate, hit_p, hit_verdict, window_start, window_end
) VALUES (
    %(computed_for)s, %(scope)s, %(ticker)s, %(horizon)s, %(n)s, %(pairs)s, %(rank_ic)s,
    %(ic_t_nw)s, %(nw_lags)s, %(ic_verdict)s, %(hit_n)s, %(hit_rate)s, %(always_up_rate)s,
    %(hit_p)s, %(hit_verdict)s, %(window_start)s, %(window_end)s
);
