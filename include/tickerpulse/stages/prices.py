"""Task `prices`: 30-minute bars for the tickers seen in the interval, upserted into Postgres.

The bars of the last few days before the interval are fetched as well, because a post made at
night or on a weekend is compared with the last price before it. The upsert is keyed by
(ticker, bar size, bar start), so the prices table doubles as a cache and a re-run changes nothing.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from tickerpulse.sources.factory import price_source
from tickerpulse.stages.context import StageContext
from tickerpulse.warehouse.db import connect
from tickerpulse.warehouse.migrate import migrate
from tickerpulse.warehouse.queries import query

log = logging.getLogger(__name__)

LOOKBACK = timedelta(days=4)
BAR_SIZE = "30m"


def run(ctx: StageContext, filter_out: dict[str, Any]) -> dict[str, Any]:
    tickers = list(filter_out["tickers"])
    if not tickers:
        log.info("prices %s: no tickers, nothing to fetch", ctx.interval.key)
        return {"tickers": 0, "bars": 0}
    source = price_source(ctx.settings)
    bars = source.bars(tickers, ctx.interval.start - LOOKBACK, ctx.interval.end)
    rows: list[dict[str, Any]] = [
        {
            "ticker": str(b["ticker"]),
            "bar_size": BAR_SIZE,
            "bar_start": b["bar_start"].to_pydatetime(),
            "open": float(b["open"]),
            "high": float(b["high"]),
            "low": float(b["low"]),
            "close": float(b["close"]),
            "volume": int(b["volume"]),
            "source": source.name,
        }
        for b in bars.to_dict("records")
    ]
    migrate(ctx.settings)
    with connect(ctx.settings) as conn, conn.cursor() as cur:
        if rows:
            cur.executemany(query("upsert_price_bar"), rows)
    missing = sorted(set(tickers) - {r["ticker"] for r in rows})
    log.info(
        "prices %s: in=%d tickers, out=%d bars from %s; no bars for %s",
        ctx.interval.key,
        len(tickers),
        len(rows),
        source.name,
        missing or "none",
    )
    return {"tickers": len(tickers), "bars": len(rows), "missing": missing}
