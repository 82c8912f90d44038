-- What one fetch of one ticker over one range gave. A range asked again keeps the attempt count.
INSERT INTO tickerpulse.price_coverage (
    ticker, bar_size, range_start, range_end, status, reason, bars, attempts, source
)
VALUES (%(ticker)s, %(bar_size)s, %(range_start)s, %(range_end)s, %(status)s, %(reason)s,
        %(bars)s, %(attempts)s, %(source)s)
ON CONFLICT (ticker, bar_size, range_start, range_end) DO UPDATE SET
    status = EXCLUDED.status, reason = EXCLUDED.reason, bars = EXCLUDED.bars,
    attempts = EXCLUDED.attempts, source = EXCLUDED.source;
