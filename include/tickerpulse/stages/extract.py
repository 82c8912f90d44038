"""Task `extract`: the interval's posts and comments, per subreddit, into the raw zone.

Reddit listings reach back only ~1,000 items, so for a past interval the raw zone is the source of
truth: when the partition already exists it is read, not fetched again (param `refresh_raw`
forces a fetch). That also makes a re-run or backfill reproduce the same tables.
"""

from __future__ import annotations

import logging
from typing import Any

import pyarrow as pa

from tickerpulse.parse import parse_record
from tickerpulse.schema import RAW_POST_SCHEMA
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
    for subreddit in ctx.params.subreddits:
        rel = paths.raw(subreddit, ctx.interval)
        if lake.exists(rel) and not ctx.params.refresh_raw:
            count = lake.read_table(rel).num_rows
            origins[subreddit] = "lake"
        else:
            source = source or reddit_source(ctx.settings)
            records = source.fetch(
                subreddit, ctx.interval.start, ctx.interval.end, ctx.params.post_limit
            )
            rows = [parse_record(rec, i, subreddit) for i, rec in enumerate(records)]
            lake.write_table(rel, pa.Table.from_pylist(rows, schema=RAW_POST_SCHEMA))
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
    return {"raw": raw_urls, "extracted": extracted, "origins": origins}
