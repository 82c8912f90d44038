"""Task `late_scores`: re-read Reddit scores for posts up to 36 hours old, and fix the rollups.

A post's upvotes are a weight in the rollup, and at extraction time (minutes after posting) they
are nearly all 0 or 1; Reddit settles them over a day or more, and moderators remove spam after
it was counted. So every run re-reads score, comment count and removal for the posts of the last
36 hours (one Reddit request per 100 ids), writes what changed, and rebuilds the 30-minute, daily
and rolling-24-hour rollups of every bucket those posts belong to, plus the rolling windows that
contain those buckets. Removed posts stay in `posts` (nothing is lost) but stop counting.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from tickerpulse.aggregation import AggregationConfig
from tickerpulse.config import Settings
from tickerpulse.stages.aggregate import rebuild_bucket
from tickerpulse.stages.context import StageContext
from tickerpulse.warehouse.db import connect
from tickerpulse.warehouse.migrate import migrate
from tickerpulse.warehouse.queries import query

log = logging.getLogger(__name__)

LOOKBACK = timedelta(hours=36)
BUCKET = timedelta(minutes=30)


class Refreshable(Protocol):
    def refresh(self, post_ids: Sequence[str]) -> dict[str, dict[str, Any]]: ...


def refresh_scores(
    settings: Settings | str,
    source: Refreshable,
    until: datetime,
    *,
    lookback: timedelta = LOOKBACK,
    cfg: AggregationConfig | None = None,
    now: datetime | None = None,
) -> dict[str, int]:
    """Refresh posts created in [until - lookback, until); rebuild what they feed. Counts back."""
    migrate(settings)
    with connect(settings) as conn, conn.cursor() as cur:
        cur.execute(query("late_scores_candidates"), {"since": until - lookback, "until": until})
        rows = cur.fetchall()
    current = {
        pid: (score, comments, removed, bucket) for pid, score, comments, removed, bucket in rows
    }
    fresh: Mapping[str, dict[str, Any]] = source.refresh(list(current)) if current else {}
    refreshed_at = now or datetime.now(UTC)
    updates = []
    buckets: set[datetime] = set()
    removed_now = 0
    for pid, state in fresh.items():
        if pid not in current:
            continue
        score, comments, removed, bucket = current[pid]
        new_score = state.get("score")
        new_score = score if new_score is None else int(new_score)
        new_removed = bool(state.get("removed"))
        if (
            new_score == score
            and state.get("num_comments") in (None, comments)
            and (not new_removed or removed)
        ):
            continue
        removed_now += int(new_removed and not removed)
        updates.append(
            {
                "post_id": pid,
                "score": new_score,
                "num_comments": state.get("num_comments"),
                "removed": new_removed,
                "refreshed_at": refreshed_at,
            }
        )
        if new_score != score or (new_removed and not removed):
            buckets.add(bucket)
    if updates:
        with connect(settings) as conn, conn.cursor() as cur:
            cur.executemany(query("late_scores_update"), updates)
    if cfg is None:
        cfg = AggregationConfig.from_settings(settings if isinstance(settings, Settings) else None)
    rebuilt = _rebuild(settings, buckets, until, cfg)
    counts = {
        "checked": len(current),
        "returned": len(fresh),
        "changed": len(updates),
        "removed": removed_now,
        "buckets_rebuilt": rebuilt,
    }
    log.info("late scores until %s: %s", until.isoformat(), counts)
    return counts


def _rebuild(
    settings: Settings | str, buckets: set[datetime], until: datetime, cfg: AggregationConfig
) -> int:
    """Every changed bucket, and every later bucket up to `until` whose rolling 24 hours holds one
    (rebuild_bucket recomputes the 30-minute row, the rolling window and the day together)."""
    if not buckets:
        return 0
    todo: set[datetime] = set()
    for bucket in buckets:
        step = bucket
        while step < until and step < bucket + timedelta(hours=24):
            todo.add(step)
            step += BUCKET
    for start in sorted(todo):
        rebuild_bucket(settings, start, start + BUCKET, cfg)
    return len(todo)


def run(ctx: StageContext) -> dict[str, int]:
    """The DAG task: refresh through the configured Reddit source, up to this interval's end."""
    from tickerpulse.sources.factory import reddit_source

    if not ctx.settings.warehouse_on:
        return {"checked": 0, "returned": 0, "changed": 0, "removed": 0, "buckets_rebuilt": 0}
    source = reddit_source(ctx.settings)
    if not hasattr(source, "refresh"):
        log.warning("reddit source %s cannot refresh scores; skipped", source.name)
        return {"checked": 0, "returned": 0, "changed": 0, "removed": 0, "buckets_rebuilt": 0}
    # "now" is the interval end, never the wall clock, so a re-run writes the same rows.
    return refresh_scores(
        ctx.settings,
        source,  # type: ignore[arg-type]  # checked with hasattr above
        ctx.interval.end,
        now=ctx.interval.end,
    )
