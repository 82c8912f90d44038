"""The price cache in Postgres: plan against `price_coverage`, fetch what is missing, write bars
(split-aware) and outcomes, and keep `mention_prices` filled as prices become known.

Everything written is a function of the source's answers and the run's interval, never of the
wall clock (except a live source's adjustment date), so a re-run writes the same rows.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import pandas as pd

from tickerpulse.prices.fetch import RetryPolicy, run_request
from tickerpulse.prices.joins import Prints, join_moment
from tickerpulse.prices.planning import (
    DAILY,
    DEFAULT_BATCH_SIZE,
    HOURLY,
    INTRADAY,
    CoverageRow,
    plan_fetches,
)
from tickerpulse.symbols_history import record_first_trades
from tickerpulse.warehouse.queries import query

log = logging.getLogger(__name__)


@dataclass
class RefreshSummary:
    bar_size: str
    tickers: int = 0
    calls: int = 0
    requests: int = 0
    bars: int = 0
    covered: int = 0
    outcomes: dict[str, list[str]] = field(default_factory=dict)  # status -> tickers
    skipped: dict[str, str] = field(default_factory=dict)
    splits: int = 0
    first_trades: int = 0  # symbols whose first trading day the source reported
    with_bars: list[str] = field(default_factory=list)  # tickers with bars of this size in range

    def to_dict(self) -> dict[str, Any]:
        return {
            "bar_size": self.bar_size,
            "tickers": self.tickers,
            "calls": self.calls,
            "requests": self.requests,
            "bars": self.bars,
            "already_cached": self.covered,
            "outcomes": {k: sorted(v) for k, v in sorted(self.outcomes.items())},
            "skipped": dict(sorted(self.skipped.items())),
            "splits": self.splits,
            "first_trades": self.first_trades,
            "with_bars": len(self.with_bars),
        }


def load_coverage(
    cur: Any, tickers: Sequence[str], bar_size: str, start: datetime, end: datetime
) -> dict[str, list[CoverageRow]]:
    cur.execute(
        query("prices_coverage_for"),
        {"tickers": list(tickers), "bar_size": bar_size, "range_start": start, "range_end": end},
    )
    found: dict[str, list[CoverageRow]] = defaultdict(list)
    for ticker, lo, hi, status, attempts in cur.fetchall():
        found[ticker].append(CoverageRow(ticker, lo, hi, status, attempts))
    return dict(found)


def refresh_bars(
    cur: Any,
    source: Any,
    tickers: Sequence[str],
    start: datetime,
    end: datetime,
    bar_size: str = INTRADAY,
    retry: RetryPolicy | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> RefreshSummary:
    """Make the cache hold `[start, end)` at `bar_size` for `tickers`, fetching only what is
    missing, one source call per batch of tickers that share a missing span."""
    retry = retry or RetryPolicy()
    wanted = sorted({t.strip().upper() for t in tickers if t and t.strip()})
    summary = RefreshSummary(bar_size, tickers=len(wanted))
    if not wanted:
        return summary
    coverage = load_coverage(cur, wanted, bar_size, start, end)
    cur.execute(query("prices_unknown_counts"), {"tickers": wanted, "bar_size": bar_size})
    unknown_ranges = {t: int(n) for t, n in cur.fetchall()}
    plan = plan_fetches(wanted, start, end, bar_size, coverage, unknown_ranges, batch_size)
    summary.covered, summary.skipped, summary.requests = (
        len(plan.covered),
        plan.skipped,
        len(plan.requests),
    )
    adjusted_asof: date | None = getattr(source, "adjusted_asof", None)
    for request in plan.requests:
        report = run_request(source, request, retry)
        summary.calls += report.calls
        summary.splits += record_splits(cur, report.splits, source.name)
        summary.first_trades += record_first_trades(cur, report.first_trade, source.name)
        summary.bars += write_bars(cur, report.frame, bar_size, source.name, adjusted_asof)
        for ticker, outcome in sorted(report.outcomes.items()):
            summary.outcomes.setdefault(outcome.status, []).append(ticker)
            cur.execute(
                query("prices_upsert_coverage"),
                {
                    "ticker": ticker,
                    "bar_size": bar_size,
                    "range_start": request.start,
                    "range_end": request.end,
                    "status": outcome.status,
                    "reason": outcome.reason,
                    "bars": outcome.bars,
                    "attempts": outcome.attempts,
                    "source": source.name,
                },
            )
    cur.execute(
        query("prices_tickers_with_bars"),
        {"tickers": wanted, "bar_size": bar_size, "range_start": start, "range_end": end},
    )
    summary.with_bars = sorted(row[0] for row in cur.fetchall())
    return summary


def refresh_bars_at_sizes(
    cur: Any,
    source: Any,
    tickers: Sequence[str],
    start: datetime,
    end: datetime,
    bar_sizes: Sequence[str],
    retry: RetryPolicy | None = None,
) -> list[RefreshSummary]:
    """`refresh_bars` at the finest size first; a ticker with no bars of one size in the range
    (the source keeps none that old, or has none of that size) is asked at the next size."""
    summaries: list[RefreshSummary] = []
    remaining = sorted({t.strip().upper() for t in tickers if t and t.strip()})
    for bar_size in bar_sizes:
        if not remaining:
            break
        summary = refresh_bars(cur, source, remaining, start, end, bar_size, retry)
        summaries.append(summary)
        remaining = [t for t in remaining if t not in set(summary.with_bars)]
    return summaries


def record_splits(cur: Any, splits: Sequence[tuple[str, date, float]], source: str) -> int:
    """Store new splits and bring older cached bars onto the post-split basis."""
    applied = 0
    for ticker, day, ratio in splits:
        params = {"ticker": ticker, "split_date": day, "ratio": ratio, "source": source}
        cur.execute(query("prices_insert_split"), params)
        if cur.fetchone() is not None:
            cur.execute(query("prices_apply_split"), params)
            applied += 1
    return applied


def write_bars(
    cur: Any, frame: pd.DataFrame, bar_size: str, source: str, adjusted_asof: date | None
) -> int:
    """Upsert bars. Prices from a live source are adjusted for every split up to `adjusted_asof`;
    split_factor (as-traded / adjusted) comes from the splits known after each bar."""
    if frame.empty:
        return 0
    tickers = sorted(set(frame["ticker"]))
    cur.execute(query("prices_known_splits"), {"tickers": tickers})
    splits: dict[str, list[tuple[date, float]]] = defaultdict(list)
    for ticker, day, ratio in cur.fetchall():
        splits[ticker].append((day, float(ratio)))
    rows = []
    for bar in frame.to_dict("records"):
        start = pd.Timestamp(bar["bar_start"]).to_pydatetime()
        factor = 1.0
        if adjusted_asof is not None:
            for day, ratio in splits.get(bar["ticker"], []):
                if start.date() < day <= adjusted_asof:
                    factor *= ratio
        adj = bar.get("adj_close")
        rows.append(
            {
                "ticker": str(bar["ticker"]),
                "bar_size": bar_size,
                "bar_start": start,
                "bar_end": pd.Timestamp(bar["bar_end"]).to_pydatetime(),
                "open": float(bar["open"]),
                "high": float(bar["high"]),
                "low": float(bar["low"]),
                "close": float(bar["close"]),
                "adj_close": None if adj is None or pd.isna(adj) else float(adj),
                "volume": int(bar["volume"]),
                "split_factor": factor,
                "adjusted_asof": adjusted_asof,
                "source": source,
            }
        )
    cur.executemany(query("prices_upsert_bar"), rows)
    return len(rows)


def load_prints(
    cur: Any, tickers: Sequence[str], start: datetime, end: datetime
) -> dict[str, tuple[Prints, Prints, Prints]]:
    """Per ticker, (30-minute, daily, hourly) prints with bars starting in `[start, end)`."""
    wanted = sorted(set(tickers))
    cur.execute(
        query("prices_bars_for"), {"tickers": wanted, "range_start": start, "range_end": end}
    )
    bars = pd.DataFrame(
        cur.fetchall(), columns=["ticker", "bar_size", "bar_start", "bar_end", "open", "close"]
    )
    cur.execute(query("prices_covered_until"), {"tickers": wanted})
    until = {(t, size): end_ for t, size, end_ in cur.fetchall()}
    out = {}
    for ticker in wanted:
        one = bars[bars["ticker"] == ticker] if not bars.empty else bars
        parts = []
        for size in (INTRADAY, DAILY, HOURLY):
            chosen = one[one["bar_size"] == size] if not one.empty else one
            parts.append(Prints.from_bars(chosen, size, until.get((ticker, size))))
        out[ticker] = (parts[0], parts[1], parts[2])
    return out


def refresh_mentions(
    cur: Any,
    since: datetime,
    until: datetime,
    interval_minutes: int = 30,
    now: datetime | None = None,
    lookback_days: int = 10,
) -> dict[str, int]:
    """Fill or complete `mention_prices` for mentions loaded in intervals `[since, until)`."""
    cur.execute(query("prices_open_mentions"), {"since": since, "until": until})
    mentions = cur.fetchall()
    if not mentions:
        return {"mentions": 0, "complete": 0}
    tickers = sorted({m[1] for m in mentions})
    first = min(m[2] for m in mentions)
    prints = load_prints(
        cur, tickers, first - pd.Timedelta(days=lookback_days), until + pd.Timedelta(days=14)
    )
    rows, complete = [], 0
    for post_id, ticker, created, interval_start in mentions:
        intraday, daily, hourly = prints[ticker]
        interval_end = interval_start + pd.Timedelta(minutes=interval_minutes)
        joined = join_moment(created, intraday, daily, also_at=interval_end, now=now, hourly=hourly)
        complete += joined.complete
        rows.append(
            {
                "post_id": post_id,
                "ticker": ticker,
                "created_utc": created,
                "interval_start": interval_start,
                "in_session": joined.in_session,
                "bar_size": joined.bar_size,
                "price_asof": joined.price_asof,
                "entry_time": joined.entry_time,
                "entry_price": joined.entry_price,
                "price_interval_end": joined.price_at,
                "ret_30m": _round(joined.returns["30m"]),
                "ret_1h": _round(joined.returns["1h"]),
                "ret_1d": _round(joined.returns["1d"]),
                "ret_5d": _round(joined.returns["5d"]),
                "complete": joined.complete,
            }
        )
    cur.executemany(query("prices_upsert_mention"), rows)
    return {"mentions": len(rows), "complete": complete}


def _round(value: float | None) -> float | None:
    """Rounded so a re-run writes byte-identical rows whatever the float path."""
    return None if value is None else round(value, 10)
