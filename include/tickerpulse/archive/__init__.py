"""`tickerpulse import`: Reddit archives (Pushshift / Reddit-API NDJSON, plain, .gz or .zst) into
the raw zone, partition by partition, exactly as `extract` would have written them."""
