-- A split seen for the first time returns a row; then prices_apply_split rescales older bars.
INSERT INTO tickerpulse.price_splits (ticker, split_date, ratio, source)
VALUES (%(ticker)s, %(split_date)s, %(ratio)s, %(source)s)
ON CONFLICT (ticker, split_date) DO NOTHING
RETURNING ticker;
