"""The price side of Ticker Pulse: cache planning, batched fetching with retries, the split-aware
store, and the joins of prices to mentions (as-of price, next-open entry, forward returns)."""
