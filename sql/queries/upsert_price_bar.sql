INSERT INTO tickerpulse.prices (ticker, bar_size, bar_start, open, high, low, close, volume, source)
VALUES (%(ticker)s, %(bar_size)s, %(bar_start)s, %(open)s, %(high)s, %(low)s, %(close)s,
        %(volume)s, %(source)s)
ON CONFLICT (ticker, bar_size, bar_start) DO UPDATE SET
    open = EXCLUDED.open, high = EXCLUDED.high, low = EXCLUDED.low, close = EXCLUDED.close,
    volume = EXCLUDED.volume, source = EXCLUDED.source;
