"""Packing one interval at 10M posts/day (208,000 posts) into token-bounded batches and shards.

Prints calls per 1,000 posts against one call per post (the baseline), the mean fill of the
input-token budget, the shard count (the Airflow map length), and the time taken. Token counts
are real tiktoken counts of WSB comments when ../shared/data is present, else of the sample.

    .venv/bin/python benchmarks/bench_batching.py
"""

from __future__ import annotations

import sys
import time

from bench_cli_score import texts
from tickerpulse.batching import group_into_shards, pack_batches
from tickerpulse.tokens import count_tokens

POSTS = 208_000
BUDGET = 6000
OVERHEAD = 12


def main() -> int:
    data, origin = texts()
    counts = [count_tokens(t) for t in data]
    items = [(f"t1_{i}", counts[i % len(counts)]) for i in range(POSTS)]
    start = time.perf_counter()
    batches = pack_batches(items, budget_tokens=BUDGET, max_items=150, per_item_overhead=OVERHEAD)
    shards = group_into_shards(batches, max_shards=64)
    took = time.perf_counter() - start
    fill = sum(b.input_tokens for b in batches) / (len(batches) * BUDGET)
    print(f"token counts from {origin}; {POSTS} posts")
    print(
        f"batches: {len(batches)}  -> calls per 1,000 posts: {1000 * len(batches) / POSTS:.1f}"
        f" vs 1000 for one post per call ({POSTS / len(batches):.1f}x fewer)"
    )
    print(f"mean fill of the {BUDGET}-token budget: {fill:.1%} (item cap 150)")
    print(f"shards (map length): {len(shards)} (max_map_length 1024)")
    print(f"packing time: {took:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
