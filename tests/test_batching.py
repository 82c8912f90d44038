"""Token-bounded batches and bounded shards, including a property test over random inputs."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tickerpulse.batching import Batch, group_into_shards, pack_batches
from tickerpulse.tokens import count_tokens, count_tokens_many


def test_count_tokens_offline_and_special_markers_are_text() -> None:
    assert count_tokens("") == 0
    assert count_tokens(None) == 0
    assert count_tokens("hello world") == 2
    assert count_tokens("<|endoftext|>") > 1  # plain text, not one control token
    assert count_tokens_many(["hello world", None, "🚀"]) == [2, 0, count_tokens("🚀")]
    assert count_tokens("\ud800 broken surrogate") > 0


def test_first_fit_fills_earlier_gaps_in_input_order() -> None:
    items = [("a", 60), ("b", 50), ("c", 10), ("d", 25)]
    batches = pack_batches(items, budget_tokens=100, max_items=10, per_item_overhead=5)
    # a=65 opens batch 0; b=55 does not fit, opens 1; c=15 goes back to 0; d=30 fits 1
    assert [(b.batch_no, b.post_ids, b.input_tokens) for b in batches] == [
        (0, ["a", "c"], 80),
        (1, ["b", "d"], 85),
    ]


def test_item_cap() -> None:
    batches = pack_batches([(str(i), 1) for i in range(7)], budget_tokens=10_000, max_items=3)
    assert [len(b.post_ids) for b in batches] == [3, 3, 1]


def test_oversized_item_goes_alone_and_is_flagged() -> None:
    batches = pack_batches(
        [("a", 10), ("huge", 990), ("b", 10)], budget_tokens=1000, per_item_overhead=12
    )
    assert [(b.post_ids, b.oversized) for b in batches] == [
        (["a", "b"], False),
        (["huge"], True),
    ]
    assert batches[1].input_tokens == 1002


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="twice"):
        pack_batches([("a", 1), ("a", 2)])
    with pytest.raises(ValueError, match="negative"):
        pack_batches([("a", -1)])
    with pytest.raises(ValueError):
        pack_batches([("a", 1)], budget_tokens=0)


def test_shards_are_bounded_and_never_zero() -> None:
    assert group_into_shards([]) == [[]]
    few = [Batch(i, [str(i)], 1) for i in range(5)]
    assert group_into_shards(few) == [few]  # fewer than 2 x min_batches_per_shard: one shard
    # 208,000 posts at 50 per batch: the map length stays at the cap, far below 1024
    many = [Batch(i, [], 0) for i in range(208_000 // 50)]
    shards = group_into_shards(many, max_shards=64)
    assert len(shards) == 64
    assert max(map(len, shards)) - min(map(len, shards)) <= 1
    assert [b for s in shards for b in s] == many


def test_packing_208k_posts_keeps_every_id_once() -> None:
    """A full interval at 10M posts/day; its speed is measured in benchmarks/bench_batching.py."""
    items = [(f"t3_{i}", (i * 37) % 400 + 5) for i in range(208_000)]
    batches = pack_batches(items)
    assert sorted(pid for b in batches for pid in b.post_ids) == sorted(pid for pid, _ in items)
    assert len(group_into_shards(batches)) <= 64


@settings(max_examples=200, deadline=None)
@given(
    tokens=st.lists(st.integers(min_value=0, max_value=3000), max_size=300),
    budget=st.integers(min_value=1, max_value=2500),
    max_items=st.integers(min_value=1, max_value=60),
    overhead=st.integers(min_value=0, max_value=50),
    max_shards=st.integers(min_value=1, max_value=64),
    min_per_shard=st.integers(min_value=1, max_value=8),
)
def test_packing_properties(
    tokens: list[int],
    budget: int,
    max_items: int,
    overhead: int,
    max_shards: int,
    min_per_shard: int,
) -> None:
    items = [(f"p{i}", t) for i, t in enumerate(tokens)]
    cost = {pid: t + overhead for pid, t in items}
    batches = pack_batches(
        items, budget_tokens=budget, max_items=max_items, per_item_overhead=overhead
    )

    placed = [pid for b in batches for pid in b.post_ids]
    assert sorted(placed) == sorted(cost)  # every id exactly once
    assert [b.batch_no for b in batches] == list(range(len(batches)))
    order = {pid: i for i, (pid, _) in enumerate(items)}
    for b in batches:
        assert b.post_ids
        assert b.input_tokens == sum(cost[p] for p in b.post_ids)
        assert [order[p] for p in b.post_ids] == sorted(order[p] for p in b.post_ids)
        if b.oversized:
            assert len(b.post_ids) == 1
            assert b.input_tokens > budget
        else:
            assert b.input_tokens <= budget
            assert len(b.post_ids) <= max_items

    shards = group_into_shards(batches, max_shards=max_shards, min_batches_per_shard=min_per_shard)
    assert 1 <= len(shards) <= max_shards
    assert [b for s in shards for b in s] == batches
