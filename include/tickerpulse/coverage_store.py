"""The `interval_coverage` table: one row per interval and subreddit, written by extract.

Kept apart from tickerpulse.coverage (pure span arithmetic) so the arithmetic is testable
without a database.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from tickerpulse.config import Settings
from tickerpulse.coverage import COMMENTS, POSTS, WindowCoverage
from tickerpulse.warehouse.db import connect
from tickerpulse.warehouse.migrate import migrate
from tickerpulse.warehouse.queries import query


def coverage_row(
    start: datetime,
    end: datetime,
    subreddit: str,
    coverage: WindowCoverage,
    source: str,
    requests: int,
) -> dict[str, Any]:
    posts, comments = coverage.listings[POSTS], coverage.listings[COMMENTS]
    return {
        "interval_start": start,
        "interval_end": end,
        "subreddit": subreddit,
        "source": source,
        "complete": coverage.complete,
        "coverage": round(coverage.ratio, 5),
        # the worse listing decides: a second is covered only when both listings covered it
        "covered_seconds": round(min(posts.covered_seconds, comments.covered_seconds), 3),
        "window_seconds": posts.window_seconds,
        "observed_posts": posts.observed,
        "observed_comments": comments.observed,
        "est_missed_posts": posts.estimated_missed,
        "est_missed_comments": comments.estimated_missed,
        "uncovered": json.dumps(coverage.spans()),
        "requests": requests,
    }


METADATA_KEY = b"tickerpulse.coverage"
_TIMES = ("interval_start", "interval_end")


def to_metadata(row: dict[str, Any]) -> dict[bytes, bytes]:
    """The row as Parquet schema metadata, to travel with the raw partition it describes.

    Without `requests`: how many calls the fetch needed (retries included) is telemetry of that
    run, and a partition's bytes must not depend on the faults its fetch met."""
    doc = {k: (v.isoformat() if k in _TIMES else v) for k, v in row.items() if k != "requests"}
    return {METADATA_KEY: json.dumps(doc, sort_keys=True).encode()}


def from_metadata(metadata: dict[bytes, bytes] | None) -> dict[str, Any] | None:
    """The row a raw partition carries, or None (an imported or older partition); `requests` is
    0, the calls the run that reads the partition back made."""
    raw = (metadata or {}).get(METADATA_KEY)
    if raw is None:
        return None
    doc: dict[str, Any] = json.loads(raw)
    for key in _TIMES:
        doc[key] = datetime.fromisoformat(doc[key])
    doc["requests"] = 0
    return doc


def record(settings: Settings, rows: list[dict[str, Any]], *, replace: bool = True) -> None:
    """UPSERT the rows (keyed by interval and subreddit), when the warehouse is on; with
    `replace=False` only the rows the warehouse lacks are written."""
    if not rows or not settings.warehouse_on:
        return
    migrate(settings)
    with connect(settings) as conn, conn.cursor() as cur:
        cur.executemany(query("coverage_upsert"), [{**row, "replace": replace} for row in rows])


def summary(settings: Settings, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Per source: intervals, complete ones, the lowest coverage, observed and estimated missed."""
    with connect(settings) as conn, conn.cursor() as cur:
        cur.execute(query("coverage_summary"), {"start": start, "end": end})
        names = [c.name for c in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
