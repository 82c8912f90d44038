INSERT INTO tickerpulse.mention_prices (
    post_id, ticker, created_utc, interval_start, in_session, bar_size, price_asof, entry_time,
    entry_price, price_interval_end, ret_30m, ret_1h, ret_1d, ret_5d, complete
)
VALUES (%(post_id)s, %(ticker)s, %(created_utc)s, %(interval_start)s, %(in_session)s,
        %(bar_size)s, %(price_asof)s, %(entry_time)s, %(entry_price)s, %(price_interval_end)s,
        %(ret_30m)s, %(ret_1h)s, %(ret_1d)s, %(ret_5d)s, %(complete)s)
ON CONFLICT (post_id, ticker) DO UPDATE SET
    created_utc = EXCLUDED.created_utc, interval_start = EXCLUDED.interval_start,
    in_session = EXCLUDED.in_session, bar_size = EXCLUDED.bar_size,
    price_asof = EXCLUDED.price_asof, entry_time = EXCLUDED.entry_time,
    entry_price = EXCLUDED.entry_price, price_interval_end = EXCLUDED.price_interval_end,
    ret_30m = EXCLUDED.ret_30m, ret_1h = EXCLUDED.ret_1h, ret_1d = EXCLUDED.ret_1d,
    ret_5d = EXCLUDED.ret_5d, complete = EXCLUDED.complete;
