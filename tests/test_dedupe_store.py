"""The 24-hour dedupe index (sql/031, tickerpulse.dedupe_store) decides exactly as the full fetch.

Real r/wallstreetbets comments (../shared/data, skipped when absent) fill 24 hours of history in a
real Postgres, written interval by interval the way the load writes them; an interval of real
comments, exact copies and one-word edits of earlier ones is then decided twice, against the full
fetch of every fingerprint (the old method) and against the lookup of its own keys, and the
decisions must be identical, also on a re-run and on a backfill after the keys were pruned.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import psycopg2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import new_database, shared_data
from tickerpulse.dedupe import (
    NO_SIMHASH,
    band_keys,
    content_hash,
    fingerprint,
    fingerprints,
    hamming,
    simhash64,
)
from tickerpulse.dedupe_store import History, full_history, lookup, write_interval
from tickerpulse.stages.filter import MIN_SPAM_WORDS
from tickerpulse.warehouse.migrate import migrate

START = datetime(2024, 3, 5, 14, 0, tzinfo=UTC)
K = 3


@pytest.fixture
def warehouse(pg_admin_dsn: str) -> Iterator[str]:
    with new_database(pg_admin_dsn, prefix="tp_test_dedupe") as dsn:
        migrate(dsn)
        yield dsn


def _comments() -> list[tuple[str, str]]:
    path = shared_data("wsb_pushshift_esbenkc", "wsb_io.csv")
    with path.open(encoding="utf-8", newline="") as handle:
        return [(r["title"], r["author"]) for r in csv.DictReader(handle) if r["title"].strip()]


def _edit(text: str, rnd: random.Random) -> str:
    words = text.split()
    words[rnd.randrange(len(words))] = rnd.choice(["tendies", "moon", "hodl", "apes"])
    return " ".join(words)


def _load(cur: Any, interval_start: datetime, posts: list[dict[str, Any]]) -> None:
    """What the load task writes for an interval: its posts, then its dedupe keys."""
    cur.execute("DELETE FROM tickerpulse.posts WHERE interval_start = %s", (interval_start,))
    cur.executemany(
        "INSERT INTO tickerpulse.posts (post_id, kind, subreddit, author_hash, created_utc,"
        " content_hash, simhash, interval_start)"
        " VALUES (%(id)s, 'comment', 'wallstreetbets', %(author)s, %(created)s, %(hash)s,"
        " %(sim)s, %(interval)s)",
        [{**p, "interval": interval_start} for p in posts],
    )
    write_interval(cur, interval_start, K)


def _post(pid: str, text: str, author: str, created: datetime) -> dict[str, Any]:
    return {
        "id": pid,
        "text": text,
        "author": f"h_{author}",
        "created": created,
        "hash": content_hash(text),
        "sim": simhash64(text),
    }


def _decide(posts: list[dict[str, Any]], history: History) -> list[tuple[str, str | None]]:
    """The filter's duplicate decisions (stages/filter.py), per post: (reason, duplicate of)."""
    seen, near = dict(history.hashes), history.near
    out: list[tuple[str, str | None]] = []
    for p in posts:
        prior = seen.get(p["hash"])
        if prior is not None and (
            prior[1] == p["author"] or len(p["text"].split()) >= MIN_SPAM_WORDS
        ):
            out.append(("duplicate", prior[0]))
            continue
        near_of = near.find(p["sim"])
        if near_of is not None:
            out.append(("near_duplicate", near_of))
            continue
        seen.setdefault(p["hash"], (p["id"], p["author"]))
        near.add(p["id"], p["sim"])
        out.append(("kept", None))
    return out


def _both(dsn: str, posts: list[dict[str, Any]]) -> tuple[list[Any], list[Any], int, int]:
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        old = full_history(cur, START, K)
        new = lookup(cur, START, [p["hash"] for p in posts], [p["sim"] for p in posts], K)
    return _decide(posts, old), _decide(posts, new), old.rows_read, new.rows_read


def test_lookup_decides_exactly_as_the_full_fetch_on_real_comments(warehouse: str) -> None:
    comments = _comments()
    rnd = random.Random(14)
    cut = len(comments) * 3 // 4
    history_texts, fresh = comments[:cut], comments[cut:]
    by_interval: dict[datetime, list[dict[str, Any]]] = {}
    for i, (text, author) in enumerate(history_texts):
        # 26 hours back: the first two hours are outside the window and must not count
        created = (
            START - timedelta(hours=26) + timedelta(seconds=i * 26 * 3600 / len(history_texts))
        )
        bucket = created.replace(minute=created.minute - created.minute % 30, second=0)
        by_interval.setdefault(bucket, []).append(_post(f"h{i}", text, author, created))
    with psycopg2.connect(warehouse) as conn, conn.cursor() as cur:
        for bucket in sorted(by_interval):
            _load(cur, bucket, by_interval[bucket])
    interval: list[dict[str, Any]] = []
    for i, (text, author) in enumerate(fresh):
        interval.append(_post(f"n{i}", text, author, START + timedelta(seconds=i)))
        if i % 3 == 0:  # copies and edits of earlier posts, inside and outside the window
            src = history_texts[rnd.randrange(len(history_texts))]
            interval.append(_post(f"c{i}", src[0], rnd.choice([src[1], "other"]), START))
            if len(src[0].split()) >= 6:
                interval.append(_post(f"e{i}", _edit(src[0], rnd), "editor", START))
    interval.sort(key=lambda p: (p["created"], p["id"]))

    old, new, old_rows, new_rows = _both(warehouse, interval)
    assert new == old
    kinds = {d[0] for d in old}
    assert {"kept", "duplicate", "near_duplicate"} <= kinds  # the data exercises every branch
    assert new_rows < old_rows / 3  # only candidates are read, not 24 hours of fingerprints

    # a re-run of the interval after its load: it must not dedupe against itself
    with psycopg2.connect(warehouse) as conn, conn.cursor() as cur:
        kept = [p for p, d in zip(interval, old, strict=True) if d[0] == "kept"]
        _load(cur, START, kept)
    assert _both(warehouse, interval)[1] == old

    # a later interval prunes the window; a backfill of this one re-derives it from the posts
    later = START + timedelta(hours=30)
    with psycopg2.connect(warehouse) as conn, conn.cursor() as cur:
        _load(cur, later, [_post("z1", "something else entirely happened today", "z", later)])
        cur.execute("SELECT count(*) FROM tickerpulse.dedupe_hashes WHERE interval_start < %s",
                    (START,))  # fmt: skip
        assert cur.fetchone()[0] == 0
    assert _both(warehouse, interval)[1] == old


@settings(max_examples=200, deadline=None)
@given(st.integers(-(1 << 63), (1 << 63) - 1), st.data())
def test_hashes_within_k_share_a_key(h: int, data: st.DataObject) -> None:
    k = data.draw(st.integers(0, 6))
    flips = data.draw(st.lists(st.integers(0, 63), max_size=k, unique=True))
    other = h & ((1 << 64) - 1)
    for bit in flips:
        other ^= 1 << bit
    other = other - (1 << 64) if other >= 1 << 63 else other  # signed, as stored
    if h == NO_SIMHASH or other == NO_SIMHASH:
        return
    assert hamming(h, other) <= k
    ka, kb = band_keys(np.array([h, other]), k)
    assert set(ka.tolist()) & set(kb.tolist())


def test_sql_computes_the_same_keys_as_python(warehouse: str) -> None:
    rnd = random.Random(3)
    sims = [rnd.getrandbits(64) - (1 << 63) for _ in range(200)] + [-1, 1, -(1 << 63)]
    with psycopg2.connect(warehouse) as conn, conn.cursor() as cur:
        _load(
            cur,
            START,
            [
                {"id": f"p{i}", "author": "a", "created": START, "hash": "h", "sim": s}
                for i, s in enumerate(sims)
            ],
        )
        cur.execute("SELECT post_id, band_key FROM tickerpulse.dedupe_bands WHERE bands = %s", (K,))
        got: dict[str, set[int]] = {}
        for pid, key in cur.fetchall():
            got.setdefault(pid, set()).add(key)
    keys = band_keys(np.array(sims, dtype=np.int64), K)
    for i in range(len(sims)):
        assert got[f"p{i}"] == set(keys[i].tolist())


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(max_size=120), max_size=30), st.integers(1, 7))
def test_batched_fingerprints_equal_one_by_one(texts: list[str], chunk: int) -> None:
    texts = [*texts, "GME to the moon 🚀 buy the dip now", "a b c d", "one two three four five"]
    hashes, sims = fingerprints(texts, chunk=chunk)
    assert list(zip(hashes, sims, strict=True)) == [fingerprint(t) for t in texts]
    assert [(content_hash(t), simhash64(t)) for t in texts] == [fingerprint(t) for t in texts]
