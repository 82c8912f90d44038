"""Task `aggregate`: rebuild the 30-minute per-ticker rollup of the interval that Grafana reads,
the rolling 24 hours that end with it, and the daily rollup of its UTC day (long dashboard ranges
read that one), in one transaction so they never disagree.

The weighting is configured from the settings (see `tickerpulse.aggregation.AggregationConfig.
from_settings`) and computed by `tickerpulse.ticker_window_stats` in Postgres; aggregation.py is its
Python reference.
"""

from __future__ import annotations

import logging
from datetime import datetime

from tickerpulse import surge
from tickerpulse.aggregation import AggregationConfig
from tickerpulse.config import Settings, load_settings
from tickerpulse.stages.context import StageContext
from tickerpulse.stages.contracts import AggregateOut, LoadOut
from tickerpulse.warehouse.db import connect
from tickerpulse.warehouse.queries import query

log = logging.getLogger(__name__)


def rebuild_bucket(
    settings: Settings | str,
    bucket_start: datetime,
    bucket_end: datetime,
    cfg: AggregationConfig | None = None,
) -> tuple[int, int]:
    """Recompute one bucket's 30-minute row, its rolling 24 h and its day; (tickers, mentions).

    Also what late_scores calls for every bucket whose posts changed score or were removed.
    """
    cfg = cfg or AggregationConfig.from_settings(
        settings if isinstance(settings, Settings) else None
    )
    params = {"bucket_start": bucket_start, "bucket_end": bucket_end, **cfg.sql_params()}
    with connect(settings) as conn, conn.cursor() as cur:
        cur.execute(query("aggregate_interval"), params)
        cur.execute(query("aggregate_rolling_24h"), params)
        cur.execute(query("aggregate_daily"), params)
        cur.execute(query("aggregate_signals"), {**params, **surge.sql_params(_settings(settings))})
        cur.execute(query("bucket_summary"), params)
        tickers, mentions = cur.fetchone()
    return int(tickers), int(mentions)


def _settings(settings: Settings | str) -> Settings:
    return load_settings() if isinstance(settings, str) else settings


def run(ctx: StageContext, load_out: LoadOut) -> AggregateOut:
    if not ctx.settings.warehouse_on:
        return {"tickers": 0, "mentions": 0}
    tickers, mentions = rebuild_bucket(ctx.settings, ctx.interval.start, ctx.interval.end)
    log.info(
        "aggregate %s: in=%d posts loaded, out=%d tickers, %d mentions",
        ctx.interval.key,
        load_out["loaded"],
        tickers,
        mentions,
    )
    return {"tickers": tickers, "mentions": mentions}
