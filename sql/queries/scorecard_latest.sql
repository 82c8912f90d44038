-- The latest scorecard computed on or before a day: across tickers first, then the tickers with
-- the most observations (what `tickerpulse report` prints).
SELECT ticker, horizon, n, rank_ic, ic_t_nw, ic_verdict, hit_n, hit_rate, always_up_rate,
       hit_verdict
FROM tickerpulse.signal_scorecard
WHERE computed_for = (SELECT max(computed_for) FROM tickerpulse.signal_scorecard
                      WHERE computed_for <= %(on_or_before)s)
ORDER BY scope = 'ticker', (SELECT max(n) FROM tickerpulse.signal_scorecard) - n, ticker,
         array_position(ARRAY['30m', '1h', '1d', '5d'], horizon)
LIMIT %(limit)s;
