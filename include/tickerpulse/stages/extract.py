"""Task `extract`: the interval's posts and comments, per subreddit, into the raw zone.

Reddit listings reach back only ~1,000 items, so for a past interval the raw zone is the source of
truth: when the partition already exists it is read, not fetched again (param `refresh_raw`
forces a fetch). That also makes a re-run or backfill reproduce the same tables.

Where the collector runs (`tickerpulse collect`, tickerpulse.collector), its landing files for the
interval plus a final sweep make the partition, deduplicated by fullname (the freshest copy wins).

Every fetch records the interval's coverage in `interval_coverage` (tickerpulse.coverage): from
the listing walks of a live sweep, or complete for a recording. The row also travels in the raw
partition's Parquet metadata, so a run that reads the partition instead of fetching it (a re-run,
a backfill, a warehouse rebuilt from the lake) writes the very row of the fetch that made it: the
warehouse stays a function of the lake. Partitions without it (imports) record no coverage.
"""

from __future__ import annotations

import logging
from typing import Any

import pyarrow as pa

from tickerpulse import coverage_store
from tickerpulse.collector import landed, landed_walks
from tickerpulse.coverage import COMMENTS, POSTS, complete_window, window_coverage
from tickerpulse.lake import Lake
from tickerpulse.parse import as_epoch, parse_record
from tickerpulse.schema import RAW_POST_SCHEMA
from tickerpulse.sources.base import RedditRecord, RedditSource, Sweep
from tickerpulse.sources.factory import reddit_source
from tickerpulse.stages import paths
from tickerpulse.stages.context import StageContext

log = logging.getLogger(__name__)


def run(ctx: StageContext) -> dict[str, Any]:
    lake = ctx.lake
    source = None
    raw_urls: list[str] = []
    extracted = 0
    origins: dict[str, str] = {}
    coverage: dict[str, float] = {}
    for subreddit in ctx.params.subreddits:
        rel = paths.raw(subreddit, ctx.interval)
        if lake.exists(rel) and not ctx.params.refresh_raw:
            table = lake.read_table(rel)
            count = table.num_rows
            origins[subreddit] = "lake"
            stored = coverage_store.from_metadata(table.schema.metadata)
            if stored is not None:
                coverage_store.record(ctx.settings, [stored], replace=False)
                coverage[subreddit] = float(stored["coverage"])
        else:
            source = source or reddit_source(ctx.settings)
            sweep, kind = _collected(lake, source, subreddit, ctx)
            rows = [parse_record(rec, i, subreddit) for i, rec in enumerate(sweep.records)]
            row = _record_coverage(ctx, subreddit, sweep, rows, kind or source.name)
            coverage[subreddit] = float(row["coverage"])
            schema = RAW_POST_SCHEMA.with_metadata(coverage_store.to_metadata(row))
            lake.write_table(rel, pa.Table.from_pylist(rows, schema=schema))
            count = len(rows)
            origins[subreddit] = source.name
        raw_urls.append(lake.url(rel))
        extracted += count
        log.info(
            "extract r/%s %s: %d records (%s)",
            subreddit,
            ctx.interval.key,
            count,
            origins[subreddit],
        )
    log.info("extract %s: in=%d records from %s", ctx.interval.key, extracted, origins)
    return {
        "raw": raw_urls,
        "extracted": extracted,
        "origins": origins,
        "coverage": coverage,
    }


def _sweep(source: RedditSource, subreddit: str, ctx: StageContext) -> Sweep:
    """The source's sweep with its listing walks, or its records alone (a recording)."""
    start, end, limit = ctx.interval.start, ctx.interval.end, ctx.params.post_limit
    sweep = getattr(source, "sweep", None)
    if sweep is not None:
        result: Sweep = sweep(subreddit, start, end, limit)
        return result
    return Sweep(source.fetch(subreddit, start, end, limit))


def _collected(
    lake: Lake, source: RedditSource, subreddit: str, ctx: StageContext
) -> tuple[Sweep, str | None]:
    """The collector's landing files of the interval plus a final sweep, deduplicated by
    fullname, and "collector"; or, with no landing files, the sweep alone and None."""
    lo, hi = ctx.interval.start.timestamp(), ctx.interval.end.timestamp()
    docs = sorted(landed(lake, subreddit, lo, hi), key=lambda d: float(d["covered_to"]))
    if not docs:
        return _sweep(source, subreddit, ctx), None
    final = _sweep(source, subreddit, ctx) if hasattr(source, "sweep") else Sweep([])
    by_name: dict[str, RedditRecord] = {}
    for doc in docs:
        for rec in doc["records"]:
            created = as_epoch(rec.get("created_utc"))
            if created is not None and lo <= created < hi:
                by_name[str(rec.get("name") or rec.get("id"))] = rec
    for rec in final.records:  # the sweep's copy is the freshest
        by_name[str(rec.get("name") or rec.get("id"))] = rec
    records = sorted(by_name.values(), key=lambda r: as_epoch(r.get("created_utc")) or 0.0)
    log.info(
        "extract r/%s %s: %d records from %d landing files and a final sweep of %d",
        subreddit,
        ctx.interval.key,
        len(records),
        len(docs),
        len(final.records),
    )
    return Sweep(records[::-1], landed_walks(docs) + final.walks), "collector"


def _record_coverage(
    ctx: StageContext, subreddit: str, sweep: Sweep, rows: list[dict[str, Any]], source: str
) -> dict[str, Any]:
    """Store the interval's coverage for the subreddit; return its row."""
    lo, hi = ctx.interval.start.timestamp(), ctx.interval.end.timestamp()
    comments = sum(1 for r in rows if r.get("kind") == "comment")
    observed = {POSTS: len(rows) - comments, COMMENTS: comments}
    if sweep.walks:
        window = window_coverage(lo, hi, sweep.walks, observed)
        kind = "collector" if source == "collector" else "sweep"
    else:
        window = complete_window(lo, hi, observed)
        kind = source
    if not window.complete:
        log.warning(
            "extract r/%s %s: incomplete, %.1f%% seen; uncovered %s; about %d missed",
            subreddit,
            ctx.interval.key,
            100 * window.ratio,
            window.spans(),
            window.estimated_missed,
        )
    requests = sum(w.requests for w in sweep.walks)
    row = coverage_store.coverage_row(
        ctx.interval.start, ctx.interval.end, subreddit, window, kind, requests
    )
    coverage_store.record(ctx.settings, [row])
    return row
