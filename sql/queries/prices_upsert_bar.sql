-- One bar into the cache. open..close are split-adjusted as of adjusted_asof; raw_close is derived.
INSERT INTO tickerpulse.prices (
    ticker, bar_size, bar_start, bar_end, open, high, low, close, adj_close, volume,
    split_factor, adjusted_asof, source
)
VALUES (%(ticker)s, %(bar_size)s, %(bar_start)s, %(bar_end)s, %(open)s, %(high)s, %(low)s,
        %(close)s, %(adj_close)s, %(volume)s, %(split_factor)s, %(adjusted_asof)s, %(source)s)
ON CONFLICT (ticker, bar_size, bar_start) DO UPDATE SET
    bar_end = EXCLUDED.bar_end, open = EXCLUDED.open, high = EXCLUDED.high, low = EXCLUDED.low,
    close = EXCLUDED.close, adj_close = EXCLUDED.adj_close, volume = EXCLUDED.volume,
    split_factor = EXCLUDED.split_factor, adjusted_asof = EXCLUDED.adjusted_asof,
    source = EXCLUDED.source
WHERE (tickerpulse.prices.bar_end, tickerpulse.prices.open, tickerpulse.prices.high,
       tickerpulse.prices.low, tickerpulse.prices.close, tickerpulse.prices.adj_close,
       tickerpulse.prices.volume, tickerpulse.prices.split_factor,
       tickerpulse.prices.adjusted_asof, tickerpulse.prices.source)
      IS DISTINCT FROM
      (EXCLUDED.bar_end, EXCLUDED.open, EXCLUDED.high, EXCLUDED.low, EXCLUDED.close,
       EXCLUDED.adj_close, EXCLUDED.volume, EXCLUDED.split_factor, EXCLUDED.adjusted_asof,
       EXCLUDED.source);
