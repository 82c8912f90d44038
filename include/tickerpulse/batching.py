"""Packing posts into LLM requests and requests into mapped tasks.

Each request has a token budget (the model's context and the provider's per-request limits) and
an item cap (long structured answers get less reliable). Packing is first-fit in input order, so
a small post later in the interval fills the gap a large one left, and the same input always gives
the same batches. Batches are then grouped into a bounded number of shards: the shard list is what
Airflow maps over, and its length must stay far below max_map_length (1024) however busy Reddit is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass
class Batch:
    batch_no: int
    post_ids: list[str] = field(default_factory=list)
    input_tokens: int = 0  # post tokens plus per-item overhead
    oversized: bool = False  # a single post over the budget on its own


class _FirstFit:
    """Max-segment-tree over the batches' remaining room: finds the first batch with at least
    `need` tokens left in O(log n), so packing 200k posts stays linear-ish instead of quadratic."""

    def __init__(self) -> None:
        self._size = 1
        self._tree = [-1, -1]

    def set(self, index: int, room: int) -> None:
        while index >= self._size:
            leaves = self._tree[self._size :]
            self._size *= 2
            self._tree = [-1] * self._size + leaves + [-1] * (self._size - len(leaves))
            for pos in range(self._size - 1, 0, -1):
                self._tree[pos] = max(self._tree[2 * pos], self._tree[2 * pos + 1])
        pos = index + self._size
        self._tree[pos] = room
        pos //= 2
        while pos:
            self._tree[pos] = max(self._tree[2 * pos], self._tree[2 * pos + 1])
            pos //= 2

    def first_with(self, need: int) -> int | None:
        if self._tree[1] < need:
            return None
        pos = 1
        while pos < self._size:
            pos = 2 * pos if self._tree[2 * pos] >= need else 2 * pos + 1
        return pos - self._size


def pack_batches(
    items: Sequence[tuple[str, int]],
    budget_tokens: int = 6000,
    max_items: int = 150,
    per_item_overhead: int = 12,
) -> list[Batch]:
    """Batches holding every id exactly once, each within `budget_tokens` and `max_items`.

    A post whose tokens plus overhead exceed the budget cannot share a request, so it goes alone in
    a batch marked `oversized` and the caller decides (truncate, skip or send anyway).
    """
    if budget_tokens <= 0 or max_items < 1 or per_item_overhead < 0:
        raise ValueError("budget_tokens and max_items must be positive, overhead non-negative")
    batches: list[Batch] = []
    fit = _FirstFit()
    seen: set[str] = set()
    for post_id, tokens in items:
        if post_id in seen:
            raise ValueError(f"post id {post_id!r} appears twice")
        if tokens < 0:
            raise ValueError(f"post {post_id!r} has a negative token count")
        seen.add(post_id)
        cost = tokens + per_item_overhead
        if cost > budget_tokens:
            batches.append(Batch(len(batches), [post_id], cost, oversized=True))
            fit.set(len(batches) - 1, -1)
            continue
        index = fit.first_with(cost)
        if index is None:
            index = len(batches)
            batches.append(Batch(index))
        batch = batches[index]
        batch.post_ids.append(post_id)
        batch.input_tokens += cost
        full = len(batch.post_ids) >= max_items
        fit.set(index, -1 if full else budget_tokens - batch.input_tokens)
    return batches


def group_into_shards(
    batches: Sequence[Batch], max_shards: int = 64, min_batches_per_shard: int = 4
) -> list[list[Batch]]:
    """Contiguous, evenly sized groups of batches; at least one (maybe empty), at most `max_shards`.

    Each shard becomes one mapped task, so a shard should carry enough batches to be worth a task
    (`min_batches_per_shard`), and more posts make shards larger rather than more numerous.
    """
    if max_shards < 1 or min_batches_per_shard < 1:
        raise ValueError("max_shards and min_batches_per_shard must be at least 1")
    n = len(batches)
    count = max(1, min(max_shards, n // min_batches_per_shard))
    return [list(batches[i * n // count : (i + 1) * n // count]) for i in range(count)]
