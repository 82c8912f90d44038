"""The 24-hour dedupe against the warehouse, at a cost that follows the interval, not the history.

`filter` used to fetch every fingerprint loaded in the 24 hours before its interval and build an
in-memory index of all of them: 10M rows every 30 minutes at 10M posts a day. Now the load writes
each interval's content hashes and banded SimHash keys to indexed tables (sql/031_dedupe_keys.sql),
and `filter` asks only for the rows that share a hash or a key with its own posts:

* exact: the latest earlier post with the same content hash (what the full fetch's dict held);
* near: every earlier post sharing a banded key (`dedupe.band_keys`: two hashes within distance k
  always share one), added to a NearDuplicateIndex in the full fetch's order, so `find` returns
  exactly the post it returned over the whole history. Candidates are verified by exact Hamming
  distance there.

Both look at posts created in [start - 24 h, start) and never at the interval itself, so a re-run
or backfill of an interval decides as its first run did. `full_history` is the old method, kept as
the reference the equivalence test and the benchmark compare against.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from tickerpulse.dedupe import NO_SIMHASH, NearDuplicateIndex, band_keys, key_pairs
from tickerpulse.warehouse.queries import query

DEDUPE_WINDOW = timedelta(hours=24)
PRUNE_MARGIN = timedelta(hours=2)  # keys kept beyond the window, for late and re-run intervals


@dataclass
class History:
    """What the 24 hours before an interval say about its posts."""

    hashes: dict[str, tuple[str, str | None]]  # content hash -> (post id, author hash)
    near: NearDuplicateIndex  # earlier posts, in load order (only candidates, or all of them)
    rows_read: int  # history rows fetched (the cost that must not grow with 24 hours)


def _pair_params(k: int) -> dict[str, Any]:
    pairs = key_pairs(k)
    return {
        "bands": k,
        "pair": [p[0] for p in pairs],
        "lo_i": [p[1] for p in pairs],
        "w_i": [p[2] for p in pairs],
        "lo_j": [p[3] for p in pairs],
        "w_j": [p[4] for p in pairs],
    }


def _array_literal(values: Sequence[Any] | np.ndarray) -> str:
    """A Postgres array literal: one string parameter instead of a Python-adapted list (hashes
    are hex digits and keys are integers, so nothing needs quoting)."""
    return "{" + ",".join(map(str, values)) + "}"


def ensure_coverage(cur: Any, since: datetime, k: int) -> None:
    """Make sure the key tables hold every loaded post created from `since` on, for this k:
    re-derive from tickerpulse.posts what was pruned or never written (first run after 031,
    a backfill reaching before the horizon, a changed k)."""
    params = _pair_params(k)
    cur.execute(query("dedupe_state"), params)
    row = cur.fetchone()
    complete_from = row[0] if row else None
    if complete_from is not None and since >= complete_from:
        return
    cur.execute(query("dedupe_restore"), {**params, "from": since, "to": complete_from})


def lookup(
    cur: Any,
    interval_start: datetime,
    hashes: Sequence[str],
    simhashes: Sequence[int],
    k: int,
) -> History:
    """The earlier posts that matter to an interval with these content hashes and SimHashes."""
    since = interval_start - DEDUPE_WINDOW
    window = {"since": since, "until": interval_start, "interval_start": interval_start}
    ensure_coverage(cur, since, k)
    cur.execute(
        query("dedupe_lookup_hashes"),
        {**window, "hashes": _array_literal(sorted(set(hashes)))},
    )
    found = {h: (pid, author) for h, pid, author in cur.fetchall()}
    sims = np.array([s for s in set(simhashes) if s != NO_SIMHASH], dtype=np.int64)
    near = NearDuplicateIndex(k=k)
    rows_read = len(found)
    if len(sims):
        keys = np.unique(band_keys(sims, k))
        cur.execute(
            query("dedupe_lookup_bands"), {**window, "bands": k, "keys": _array_literal(keys)}
        )
        candidates = cur.fetchall()
        rows_read += len(candidates)
        for _created, pid, sim in candidates:
            near.add(pid, sim)
    return History(found, near, rows_read)


def full_history(cur: Any, interval_start: datetime, k: int) -> History:
    """The old method: every fingerprint of the 24 hours before the interval, all indexed."""
    cur.execute(
        query("recent_post_fingerprints"),
        {"since": interval_start - DEDUPE_WINDOW, "until": interval_start},
    )
    rows = cur.fetchall()
    near = NearDuplicateIndex(k=k)
    for pid, _h, sim, _a in rows:
        near.add(pid, sim)
    return History({h: (pid, a) for pid, h, _s, a in rows}, near, len(rows))


def write_interval(cur: Any, interval_start: datetime, k: int) -> None:
    """Write the keys of the posts just loaded for this interval (in the load's transaction), and
    prune keys before the window + margin when it is the newest interval."""
    params = {**_pair_params(k), "interval_start": interval_start}
    cur.execute(query("dedupe_write_interval"), params)
    cur.execute(query("dedupe_newest_interval"))
    newest = cur.fetchone()[0]
    if newest is None or interval_start >= newest:
        horizon = interval_start - DEDUPE_WINDOW - PRUNE_MARGIN
        cur.execute(query("dedupe_prune"), {"horizon": horizon})
