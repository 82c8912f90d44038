"""Task `prices`: bars for the tickers of the interval, from the cache or one batched fetch, and
the price joins of earlier mentions as their prices become known.

1. Tickers: those seen in this interval, plus those of earlier mentions (last MENTION_WINDOW)
   still waiting for a forward return, so a ticker nobody mentions again still gets its +1 day.
2. Bars over `[start - LOOKBACK, end)`: the planner subtracts what `price_coverage` says is
   settled and fetches the rest, one call per batch of tickers that share a missing span; empty
   answers are retried with backoff and recorded with a reason (tickerpulse.prices.fetch).
   The finest bar size the source has for the range first: from Yahoo 30-minute bars while it
   keeps them (~60 days), hourly bars to ~730 days, daily bars for any age; from a replay, the
   sizes it has files for. A ticker with no bars at one size is asked at the next.
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

from tickerpulse.prices.planning import bar_sizes_for
from tickerpulse.prices.store import refresh_bars_at_sizes, refresh_mentions
from tickerpulse.sources.factory import price_source
from tickerpulse.stages.context import StageContext
from tickerpulse.stages.contracts import FilterOut, PricesOut
from tickerpulse.warehouse.db import connect
from tickerpulse.warehouse.migrate import migrate
from tickerpulse.warehouse.queries import query

log = logging.getLogger(__name__)

LOOKBACK = timedelta(days=4)
MENTION_WINDOW = timedelta(days=10)


def run(ctx: StageContext, filter_out: FilterOut) -> PricesOut:
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
        # A replay holds what it holds, whatever its age; Yahoo's reach depends on the age.
        sizes_of = getattr(source, "bar_sizes", None)
        bar_sizes = (
            sizes_of() if callable(sizes_of) else bar_sizes_for(start - LOOKBACK, datetime.now(UTC))
        )
        summaries = refresh_bars_at_sizes(cur, source, tickers, start - LOOKBACK, end, bar_sizes)
        joined = refresh_mentions(cur, start - MENTION_WINDOW, start, now=end)
    by_size = {s.bar_size: s.to_dict() for s in summaries}
    priced = {t for s in summaries for t in s.with_bars}
    not_ok = sorted(set(tickers) - priced)
    log.info(
        "prices %s: %d tickers (%d waiting for returns); bars %s in %d calls from %s; "
        "no bars at any size: %s; mentions joined %d (%d complete)",
        ctx.interval.key,
        len(tickers),
        len(pending),
        {size: f"{d['bars']} new, {d['with_bars']} tickers" for size, d in by_size.items()},
        sum(s.calls for s in summaries),
        source.name,
        not_ok or "none",
        joined["mentions"],
        joined["complete"],
    )
    return {
        "tickers": len(tickers),
        "bar_sizes": list(bar_sizes),
        "bars": sum(s.bars for s in summaries),
        "calls": sum(s.calls for s in summaries),
        "by_size": by_size,
        "missing": not_ok,
        "mentions": joined,
    }
