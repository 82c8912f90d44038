-- Bring bars adjusted before a split onto the post-split basis: prices divide by the ratio,
-- volume multiplies, and split_factor keeps raw_close (the as-traded close) unchanged.
UPDATE tickerpulse.prices
SET open = open / %(ratio)s, high = high / %(ratio)s, low = low / %(ratio)s,
    close = close / %(ratio)s, adj_close = adj_close / %(ratio)s,
    volume = round(volume * %(ratio)s)::bigint,
    split_factor = split_factor * %(ratio)s,
    adjusted_asof = %(split_date)s
WHERE ticker = %(ticker)s
  AND bar_start < %(split_date)s::date::timestamptz
  AND (adjusted_asof IS NULL OR adjusted_asof < %(split_date)s);
