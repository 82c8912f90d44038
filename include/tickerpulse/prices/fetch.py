"""Run planned requests against a price source, with retry and backoff, and say per ticker what
happened, so the cache records an outcome instead of a silent hole.

yfinance returns an empty DataFrame without raising when it cannot reach Yahoo (and its chart
requests can fail one ticker at a time). A batch that comes back with no bars at all, no unknown
symbol and no error, for a span that holds trading time, is therefore treated as a failure, not
as "no trades": it is retried with exponential backoff, and if it stays empty the range is
recorded as `missing` with the reason, to be asked again by a later run, at most MAX_ATTEMPTS
times in all before it is `gave_up`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import pandas as pd

from tickerpulse.prices.planning import MAX_ATTEMPTS, FetchRequest
from tickerpulse.prices.result import FetchResult, empty_fetch_frame
from tickerpulse.sources.base import PriceFetchError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 3  # calls per request, the first included
    base_delay: float = 1.0  # seconds before the first retry; doubles each time
    factor: float = 2.0
    sleep: Callable[[float], None] = time.sleep

    def delay(self, retry: int) -> float:
        return self.base_delay * self.factor**retry


@dataclass(frozen=True)
class Outcome:
    status: str  # ok | empty | unknown | missing | failed | gave_up
    reason: str | None
    bars: int
    attempts: int


@dataclass
class FetchReport:
    frame: pd.DataFrame
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    splits: list[tuple[str, date, float]] = field(default_factory=list)
    first_trade: dict[str, date] = field(default_factory=dict)
    calls: int = 0


def source_fetch(
    source: Any, tickers: list[str], start: datetime, end: datetime, bar_size: str
) -> FetchResult:
    """The source's `fetch()` when it has one, else its contract `bars()` (30-minute only)."""
    if hasattr(source, "fetch"):
        return source.fetch(tickers, start, end, bar_size)
    if bar_size != "30m":
        return FetchResult(empty_fetch_frame(), failed={t: "no daily bars" for t in tickers})
    frame = source.bars(tickers, start, end)
    frame = frame.assign(bar_end=frame["bar_start"] + pd.Timedelta(minutes=30), adj_close=None)
    return FetchResult(frame)


def run_request(source: Any, request: FetchRequest, retry: RetryPolicy) -> FetchReport:
    """At most `retry.attempts` calls; later calls ask only for the tickers still unanswered."""
    report = FetchReport(empty_fetch_frame())
    frames = []
    pending = list(request.tickers)
    why: dict[str, str] = {}
    for attempt in range(retry.attempts):
        if attempt:
            pause = retry.delay(attempt - 1)
            log.warning(
                "prices: retrying %d tickers %s in %.1fs (%s)",
                len(pending),
                request.bar_size,
                pause,
                "; ".join(sorted(set(why.values()))[:2]),
            )
            retry.sleep(pause)
        report.calls += 1
        try:
            result = source_fetch(source, pending, request.start, request.end, request.bar_size)
        except PriceFetchError as exc:  # the whole call failed (contract `bars()` sources)
            why = {t: str(exc) for t in pending}
            continue
        report.splits.extend(result.splits)
        report.first_trade.update(result.first_trade)
        got = result.frame
        counts = got.groupby("ticker").size().to_dict() if not got.empty else {}
        if not got.empty:
            frames.append(got)
        # Silence after the source already answered this request is a ticker with no bars, not
        # an unreachable Yahoo.
        silent = (
            not counts
            and not result.unknown
            and not result.failed
            and not result.too_old
            and not frames
        )
        still = []
        for ticker in pending:
            if counts.get(ticker):
                report.outcomes[ticker] = Outcome("ok", None, int(counts[ticker]), attempt + 1)
            elif ticker in result.unknown:
                reason = "unknown to the source (delisted or never listed)"
                report.outcomes[ticker] = Outcome("unknown", reason, 0, attempt + 1)
            elif ticker in result.too_old:
                # Settled: the source will never have these bars; a coarser size may.
                reason = f"older than the source keeps {request.bar_size} bars"
                report.outcomes[ticker] = Outcome("empty", reason, 0, attempt + 1)
            elif ticker in result.failed:
                why[ticker] = f"request failed: {result.failed[ticker]}"
                still.append(ticker)
            elif silent:
                why[ticker] = "empty response for a span with trading time (Yahoo unreachable?)"
                still.append(ticker)
            elif attempt + 1 < retry.attempts:
                # Yahoo answers a chart request it failed to serve with an empty 200, which
                # yfinance cannot tell from "no trades"; ask again before believing it.
                why[ticker] = "no bars in the span (no trades or halted)"
                still.append(ticker)
            else:
                reason = "no bars in the span (no trades or halted)"
                report.outcomes[ticker] = Outcome("empty", reason, 0, attempt + 1)
        pending = still
        if not pending:
            break
    for ticker in pending:
        if why[ticker].startswith("no bars"):
            continue
        before = request.attempts_before.get(ticker, 0)
        status = "failed" if why[ticker].startswith("request failed") else "missing"
        if before + 1 >= MAX_ATTEMPTS:
            status, reason = "gave_up", f"{why[ticker]}; after {before + 1} runs"
        else:
            reason = why[ticker]
        report.outcomes[ticker] = Outcome(status, reason, 0, before + 1)
    if frames:
        report.frame = pd.concat(frames, ignore_index=True).drop_duplicates(
            ["ticker", "bar_start"], keep="last"
        )
    report.splits = sorted(set(report.splits))
    return report
