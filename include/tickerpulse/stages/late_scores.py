"""Task `late_scores`: re-read Reddit scores for posts up to 36 hours old, and fix the rollups.

A post's upvotes are a weight in the rollup, and at extraction time (minutes after posting) they
are nearly all 0 or 1; Reddit settles them over a day or more, and moderators remove spam after
it was counted. So every run re-reads score, comment count and removal for the posts of the last
36 hours (one Reddit request per 100 ids), writes what changed, and rebuilds the 30-minute, daily
and rolling-24-hour rollups of every bucket those posts belong to, plus the rolling windows that
contain those buckets. Removed posts stay in `posts` (nothing is lost) but stop counting.

With every comment read, refreshing everything no longer fits Reddit's budget (2,000 comments an
interval is ~1,400 `/api/info` calls over 36 hours, half of all requests). So it chooses, in
order: every post of the lookback; then the comments that mention a ticker, at chosen ages (a
comment is refreshed in the run where it turns 1 h, 6 h or 24 h old: three looks, not 72); all
within `late_scores_max_requests`. What it skipped is counted, by reason, in its output and in
`late_score_runs`.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
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


INFO_BATCH = 100  # ids per /api/info request
DEFAULT_AGES_HOURS = (1.0, 6.0, 24.0)
DEFAULT_MAX_REQUESTS = 300


@dataclass(frozen=True)
class Priorities:
    """Which items a run refreshes: posts, then ticker comments at these ages, within a cap."""

    ages_hours: tuple[float, ...] = DEFAULT_AGES_HOURS
    max_requests: int = DEFAULT_MAX_REQUESTS

    @classmethod
    def from_settings(cls, settings: Settings | None) -> Priorities:
        if settings is None:
            return cls()
        return cls(tuple(settings.late_scores_ages_hours), settings.late_scores_max_requests)

    def lookback(self, base: timedelta) -> timedelta:
        oldest = max(self.ages_hours, default=0.0)
        return max(base, timedelta(hours=oldest) + BUCKET)


def choose(
    rows: Sequence[tuple[Any, ...]], until: datetime, priorities: Priorities
) -> tuple[list[str], dict[str, int]]:
    """(ids to refresh, in priority order, and the counts by outcome). `rows` are
    (post_id, kind, created_utc, has_tickers)."""
    posts, comments = [], []
    skipped_no_ticker = skipped_off_age = 0
    for pid, kind, created, has_tickers in rows:
        if kind != "comment":
            posts.append((created, pid))
            continue
        if not has_tickers:
            skipped_no_ticker += 1
            continue
        age = until - created
        # turns one of the ages during this interval: age - 30 min < chosen age <= age
        if any(age - BUCKET < timedelta(hours=a) <= age for a in priorities.ages_hours):
            comments.append((created, pid))
        else:
            skipped_off_age += 1
    # newest first within each tier: young scores move most
    ordered = [p for _, p in sorted(posts, reverse=True)]
    ordered += [c for _, c in sorted(comments, reverse=True)]
    cap = priorities.max_requests * INFO_BATCH
    chosen = ordered[:cap]
    chosen_set = set(chosen)
    counts = {
        "candidates": len(rows),
        "refreshed_posts": sum(1 for _, p in posts if p in chosen_set),
        "refreshed_comments": sum(1 for _, c in comments if c in chosen_set),
        "skipped_no_ticker": skipped_no_ticker,
        "skipped_off_age": skipped_off_age,
        "skipped_over_cap": len(ordered) - len(chosen),
        "requests": math.ceil(len(chosen) / INFO_BATCH),
    }
    return chosen, counts


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
    priorities: Priorities | None = None,
) -> dict[str, int]:
    """Refresh what `priorities` choose among the items created in the lookback before `until`;
    rebuild what they feed; record what was skipped. Counts back."""
    migrate(settings)
    if priorities is None:
        priorities = Priorities.from_settings(settings if isinstance(settings, Settings) else None)
    since = until - priorities.lookback(lookback)
    with connect(settings) as conn, conn.cursor() as cur:
        cur.execute(query("late_scores_candidates"), {"since": since, "until": until})
        rows = cur.fetchall()
    # posts beyond the post lookback are there only for a comment age beyond it: not posts' due
    rows = [r for r in rows if r[5] == "comment" or r[6] >= until - lookback]
    chosen, plan = choose([(r[0], r[5], r[6], r[7]) for r in rows], until, priorities)
    current = {r[0]: (r[1], r[2], r[3], r[4]) for r in rows if r[0] in set(chosen)}
    fresh: Mapping[str, dict[str, Any]] = source.refresh(chosen) if chosen else {}
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
    with connect(settings) as conn, conn.cursor() as cur:
        if updates:
            cur.executemany(query("late_scores_update"), updates)
        cur.execute(query("late_scores_record_run"), {**plan, "interval_start": until - BUCKET})
    if cfg is None:
        cfg = AggregationConfig.from_settings(settings if isinstance(settings, Settings) else None)
    rebuilt = _rebuild(settings, buckets, until, cfg)
    counts = {
        "checked": len(current),
        "returned": len(fresh),
        "changed": len(updates),
        "removed": removed_now,
        "buckets_rebuilt": rebuilt,
        **{k: v for k, v in plan.items() if k != "candidates"},
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
