"""Task `aggregate`: rebuild the 30-minute per-ticker rollup of the interval that Grafana reads,
and the daily rollup of its UTC day (long dashboard ranges read that one), in one transaction so
the two never disagree."""

from __future__ import annotations

import logging
import os
from typing import Any

from tickerpulse.stages.context import StageContext
from tickerpulse.warehouse.db import connect
from tickerpulse.warehouse.queries import query

log = logging.getLogger(__name__)


def run(ctx: StageContext, load_out: dict[str, Any]) -> dict[str, Any]:
    params = {
        "bucket_start": ctx.interval.start,
        "bucket_end": ctx.interval.end,
        "decay": float(os.environ.get("TICKERPULSE_DECAY_LAMBDA", "0.1")),
    }
    with connect(ctx.settings) as conn, conn.cursor() as cur:
        cur.execute(query("aggregate_interval"), params)
        cur.execute(query("aggregate_daily"), params)
        cur.execute(query("bucket_summary"), params)
        tickers, mentions = cur.fetchone()
    log.info(
        "aggregate %s: in=%d posts loaded, out=%d tickers, %d mentions",
        ctx.interval.key,
        load_out["loaded"],
        tickers,
        mentions,
    )
    return {"tickers": int(tickers), "mentions": int(mentions)}
