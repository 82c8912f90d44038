"""Exact and near-duplicate fingerprints, and the banded index that finds near duplicates."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time

from hypothesis import given, settings
from hypothesis import strategies as st

from tickerpulse.dedupe import (
    NO_SIMHASH,
    NearDuplicateIndex,
    content_hash,
    hamming,
    normalise,
    simhash64,
)

LONG = (
    "Citadel is shorting GME again and the hedge funds think retail will fold but we are holding "
    "through earnings because the float is tiny and the short interest is still above one hundred "
    "percent according to the latest filings so buckle up"
)
OTHER = (
    "Index funds and dividend ETFs are the boring way to retire, thirty years of compounding "
    "beats any options strategy most people here will ever try"
)


def test_normalise() -> None:
    assert normalise("  Hello,\n\tWORLD!!  https://example.com/x?y=1 www.foo.org ") == "hello world"
    assert normalise("Don’t SELL $GME!!! 🚀🚀") == "dont sell gme 🚀🚀"
    assert normalise("𝐆𝐌𝐄 Straße") == "gme strasse"
    assert normalise("") == ""
    assert normalise(None) == ""  # type: ignore[arg-type]


def test_content_hash_ignores_case_punctuation_and_urls() -> None:
    a = content_hash("GME to the moon!!! https://x.com/1")
    assert a == content_hash("gme   to the MOON")
    assert len(a) == 64
    assert int(a, 16) >= 0
    assert a != content_hash("AMC to the moon")


def test_simhash_is_a_signed_int64_and_stable_across_processes() -> None:
    h = simhash64(LONG)
    assert -(2**63) <= h < 2**63
    code = "from tickerpulse.dedupe import simhash64; import sys; print(simhash64(sys.argv[1]))"
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run(
        [sys.executable, "-c", code, LONG], env=env, capture_output=True, text=True, check=True
    )
    assert int(out.stdout) == h


def test_simhash_is_close_for_light_edits_and_far_for_other_text() -> None:
    h = simhash64(LONG)
    assert simhash64(LONG.upper() + "!!! https://reddit.com/r/x") == h
    for edited in (LONG + " 🚀", "Look: " + LONG, LONG.replace("earnings", "ER")):
        assert hamming(h, simhash64(edited)) <= 3
    assert hamming(h, simhash64(OTHER)) > 16


def test_short_texts_have_no_simhash_and_never_match() -> None:
    assert simhash64("GME to the moon!!") == NO_SIMHASH  # 4 words
    assert simhash64("GME to the moon 🚀") != NO_SIMHASH  # 5 words
    index = NearDuplicateIndex(k=3)
    index.add("short", simhash64("GME to the moon"))
    assert len(index) == 0
    assert index.find(simhash64("GME to the moon")) is None


def test_hamming() -> None:
    assert hamming(0, 0) == 0
    assert hamming(-1, 0) == 64  # signed values are compared as 64-bit patterns
    assert hamming(0b1011, 0b0001) == 2


def test_index_finds_the_earliest_post_within_k() -> None:
    index = NearDuplicateIndex(k=3)
    h = simhash64(LONG)
    index.add("first", h)
    index.add("second", h)
    index.add("other", simhash64(OTHER))
    assert index.find(simhash64(LONG + " 🚀")) == "first"
    assert index.find(h ^ 0b111) == "first"
    assert index.find(h ^ 0b1111) is None
    assert (
        index.find(simhash64("A completely unrelated comment about the weather in Paris")) is None
    )


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(min_value=-(2**63), max_value=2**63 - 1), min_size=1, max_size=40),
    st.integers(min_value=0, max_value=6),
    st.data(),
)
def test_index_agrees_with_brute_force(hashes: list[int], k: int, data: st.DataObject) -> None:
    index = NearDuplicateIndex(k=k)
    added = [(f"p{i}", h) for i, h in enumerate(hashes) if h != NO_SIMHASH]
    for pid, h in added:
        index.add(pid, h)
    base = data.draw(st.sampled_from(hashes))
    flips = data.draw(st.sets(st.integers(0, 63), max_size=k + 2))
    probe = base
    for bit in flips:
        probe ^= 1 << bit
    probe = (probe + 2**63) % 2**64 - 2**63
    expected = next((pid for pid, h in added if hamming(h, probe) <= k), None)
    if probe == NO_SIMHASH:
        expected = None
    assert index.find(probe) == expected


def test_index_is_not_quadratic() -> None:
    rng = random.Random(7)
    index = NearDuplicateIndex(k=3)
    start = time.perf_counter()
    for i in range(50_000):
        h = rng.getrandbits(64) - 2**63
        index.find(h)
        index.add(str(i), h)
    assert time.perf_counter() - start < 5.0  # pairwise would be 1.25e9 comparisons
