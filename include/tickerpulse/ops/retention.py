"""Retention of the lake: delete day partitions (`dt=YYYY-MM-DD`) older than a cutoff.

Two horizons, because the zones are worth different things:

* the raw zone (`raw/`) is the source of truth for backfills — Reddit's listings reach back only
  ~1,000 items, so a deleted raw day can never be re-extracted. Default: 400 days.
* the derived zones (validated, quarantine, filtered, dropped, batches, scores) can be rebuilt from
  raw by re-running the interval. Default: 14 days. The collector's landing zone (`landing/`)
  shares that horizon: extract has folded it into raw by then (its `_state` checkpoints, not
  day partitions, are never touched).

Raw days that a `tickerpulse import` wrote are never pruned, whatever their age: imported history
is old by definition (a 2021 archive is past any horizon on the day it is imported), and the user
imported it on purpose to backfill it. The import summaries (`imports/import=*/summary.json`) say
which days those are; delete an import's days by hand to drop them.

Only folders named exactly `dt=YYYY-MM-DD` are touched; anything else under a zone is left alone.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from tickerpulse.lake import Lake

log = logging.getLogger(__name__)

RAW_ZONES = ("raw",)
DERIVED_ZONES = (
    "validated",
    "quarantine",
    "filtered",
    "dropped",
    "batches",
    "scores",
    "landing",
)
_DT = re.compile(r"^dt=(\d{4}-\d{2}-\d{2})$")


@dataclass(frozen=True)
class RetentionResult:
    deleted: list[str]
    kept: int


def partition_day(name: str) -> date | None:
    match = _DT.match(name)
    if not match:
        return None
    try:
        return date.fromisoformat(match.group(1))
    except ValueError:
        return None


def _day_partitions(path: Any, depth: int = 0) -> Iterable[Any]:
    """Every `dt=…` folder under `path` (which may sit under subreddit=… folders), depth-first."""
    if depth > 4 or not path.exists() or not path.is_dir():
        return
    for child in sorted(path.iterdir(), key=lambda p: p.name):
        if partition_day(child.name) is not None:
            yield child
        elif child.is_dir():
            yield from _day_partitions(child, depth + 1)


def _remove_tree(path: Any) -> None:
    """Delete a folder and everything under it, on any ObjectStoragePath filesystem."""
    for child in list(path.iterdir()):
        if child.is_dir():
            _remove_tree(child)
        else:
            child.unlink()
    try:
        path.rmdir()
    except (FileNotFoundError, NotImplementedError, OSError):
        pass  # object stores have no real folders: gone once the last object is


def imported_days(lake: Lake) -> set[date]:
    """The UTC days that any `tickerpulse import` wrote raw partitions for, from its summaries."""
    days: set[date] = set()
    for url in lake.list("imports"):
        rel = f"imports/{url.rstrip('/').rsplit('/', 1)[-1]}/summary.json"
        if not lake.exists(rel):
            continue  # an import that was killed before its summary: it resumes and writes one
        summary = json.loads(lake.read_bytes(rel))
        first, last = summary.get("first_interval"), summary.get("last_interval")
        if not first or not last:
            continue
        day, end = datetime.fromisoformat(first).date(), datetime.fromisoformat(last).date()
        while day <= end:
            days.add(day)
            day += timedelta(days=1)
    return days


def prune_zones(
    lake: Lake,
    zones: Iterable[str],
    keep_days: int,
    now: datetime | None = None,
    protected: frozenset[date] = frozenset(),
) -> RetentionResult:
    """Delete the day partitions of `zones` whose day is older than `keep_days` before `now`,
    except the `protected` days."""
    if keep_days < 1:
        raise ValueError("keep_days must be at least 1: 0 would delete the interval being written")
    today = (now or datetime.now(UTC)).astimezone(UTC).date()
    cutoff = today - timedelta(days=keep_days)
    deleted: list[str] = []
    kept = 0
    for zone in zones:
        for part in _day_partitions(lake.path(zone)):
            day = partition_day(part.name)
            assert day is not None
            if day < cutoff and day not in protected:
                _remove_tree(part)
                deleted.append(str(part))
                log.info("retention: deleted %s (day %s < cutoff %s)", part, day, cutoff)
            else:
                kept += 1
    return RetentionResult(deleted, kept)


def prune_lake(
    lake: Lake, raw_keep_days: int, derived_keep_days: int, now: datetime | None = None
) -> dict[str, RetentionResult]:
    return {
        "raw": prune_zones(
            lake, RAW_ZONES, raw_keep_days, now, protected=frozenset(imported_days(lake))
        ),
        "derived": prune_zones(lake, DERIVED_ZONES, derived_keep_days, now),
    }
