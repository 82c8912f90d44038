"""Task `prices`: bars for the tickers of the interval, from the cache or one batched fetch, and
the price joins of earlier mentions as their prices become known.

1. Tickers: those seen in this interval, plus those of earlier mentions (last MENTION_WINDOW)
   still waiting for a forward return, so a ticker nobody mentions again still gets its +1 day.
2. Bars over `[start - LOOKBACK, end)`: the planner subtracts what `price_coverage` says is
   settled and fetches the rest, one call per batch of tickers that share a missing span; empty
   answers are retried with backoff and recorded with a reason (tickerpulse.prices.fetch).
   30-minute bars while Yahoo has them (~60 days), daily bars for older intervals.
3. `mention_prices` for mentions loaded in earlier intervals: as-of price, entry price (the next
   open for a post made while the market is closed) and the forward returns now known.
This interval's own posts are loaded after this task; they are joined by the next run (or by the
aggregate task, if it calls `tickerpulse.prices.store.refresh_mentions` for its interval).
Everything written is a function of the source's answers and the interval, so a re-run changes
nothing.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from tickerpulse.prices.planning import INTRADAY, bar_size_for
from tickerpulse.prices.store import refresh_bars, refresh_mentions
from tickerpulse.sources.factory import price_source
from tickerpulse.stages.context import StageContext
from tickerpulse.warehouse.db import connect
from tickerpulse.warehouse.migrate import migrate
from tickerpulse.warehouse.queries import query

log = logging.getLogger(__name__)

LOOKBACK = timedelta(days=4)
MENTION_WINDOW = timedelta(days=10)


def run(ctx: StageContext, filter_out: dict[str, Any]) -> dict[str, Any]:
    start, end = ctx.interval.start, ctx.interval.end
    if not ctx.settings.warehouse_on:  # the price cache lives in the warehouse
        log.warning("prices %s: warehouse sink off, nothing fetched", ctx.interval.key)
        return {"tickers": len(filter_out["tickers"]), "bars": 0, "skipped": "warehouse off"}
    migrate(ctx.settings)
    with connect(ctx.settings) as conn, conn.cursor() as cur:
        cur.execute(
            query("prices_pending_tickers"), {"since": start - MENTION_WINDOW, "until": start}
        )
        pending = [row[0] for row in cur.fetchall()]
        tickers = sorted(set(filter_out["tickers"]) | set(pending))
        if not tickers:
            log.info("prices %s: no tickers, nothing to fetch", ctx.interval.key)
            return {"tickers": 0, "bars": 0, "calls": 0, "missing": []}
        source = price_source(ctx.settings)
        # Replayed files hold 30-minute bars whatever their age; Yahoo only for ~60 days.
        bar_size = (
            INTRADAY
            if ctx.settings.price_source == "replay"
            else bar_size_for(start - LOOKBACK, datetime.now(UTC))
        )
        summary = refresh_bars(cur, source, tickers, start - LOOKBACK, end, bar_size)
        joined = refresh_mentions(cur, start - MENTION_WINDOW, start, now=end)
    out = summary.to_dict()
    not_ok = sorted(t for status, names in out["outcomes"].items() if status != "ok" for t in names)
    log.info(
        "prices %s: %d tickers (%d waiting for returns), %d %s bars in %d calls from %s, "
        "%d cached; not ok: %s; mentions joined %d (%d complete)",
        ctx.interval.key,
        len(tickers),
        len(pending),
        summary.bars,
        bar_size,
        summary.calls,
        source.name,
        summary.covered,
        out["outcomes"] if not_ok else "none",
        joined["mentions"],
        joined["complete"],
    )
    return {**out, "missing": not_ok, "mentions": joined}
