"""Cache planning: which (ticker, range, bar size) the warehouse lacks, grouped into batches.

The prices table is a cache. Every fetch is recorded in `price_coverage` with what came back, so a
planner can subtract what is already settled (bars, or a definite "no bars", or "unknown symbol"
for that range, or "gave up") from what an interval needs, and ask Yahoo only for the rest. Tickers
that need the same span go in one batch, so a steady stream of 30-minute runs makes one call per
batch of tickers per interval, and a re-run makes none.

Ranges are clipped to trading time with the exchange calendar: a weekend or holiday needs nothing.
They are also clipped to bars that have closed by the range's end: an hourly bar that opened at
14:30 UTC is not asked for by a run whose interval ends at 15:00 (its close is not known yet, and
a later run whose range starts at 15:00 would never ask for that bar again), nor today's daily bar
before the session's close.

Bar sizes: Yahoo serves 30-minute bars for about the last 60 days, hourly bars for about 730
days, daily bars for any age. `bar_sizes_for` says which sizes exist for a range, finest first;
the prices task asks the finest and falls back to the next for tickers that got no bars.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from tickerpulse.market_calendar import Session, sessions_between

INTRADAY = "30m"
HOURLY = "1h"
DAILY = "1d"
BAR_SIZES = (INTRADAY, HOURLY, DAILY)  # finest first
# Yahoo serves 30-minute bars for about the last 60 days and hourly bars for about 730; stay
# inside both with a margin.
INTRADAY_REACH = timedelta(days=58)
HOURLY_REACH = timedelta(days=728)
HOUR = timedelta(hours=1)
SETTLED = frozenset({"ok", "empty", "unknown", "gave_up"})
MAX_UNKNOWN_RANGES = 3  # a symbol unknown for this many ranges is not asked again
MAX_ATTEMPTS = 3  # a range that failed or came back silently empty this often is given up
DEFAULT_BATCH_SIZE = 100


@dataclass(frozen=True)
class CoverageRow:
    ticker: str
    start: datetime
    end: datetime
    status: str
    attempts: int = 1


@dataclass(frozen=True)
class FetchRequest:
    bar_size: str
    start: datetime
    end: datetime
    tickers: tuple[str, ...]
    attempts_before: Mapping[str, int]  # failed/missing attempts already made per ticker


@dataclass(frozen=True)
class Plan:
    requests: list[FetchRequest]
    covered: list[str]  # nothing to fetch: already settled
    skipped: dict[str, str]  # ticker -> why it is not asked (unknown too often)


def bar_sizes_for(start: datetime, now: datetime) -> tuple[str, ...]:
    """The bar sizes Yahoo serves for a range starting at `start`, finest first."""
    age = now - start
    if age <= INTRADAY_REACH:
        return BAR_SIZES
    if age <= HOURLY_REACH:
        return (HOURLY, DAILY)
    return (DAILY,)


def bar_size_for(start: datetime, now: datetime) -> str:
    """The finest bar size Yahoo still serves for a range starting at `start`."""
    return bar_sizes_for(start, now)[0]


def _hour_floor(moment: datetime, session: Session) -> datetime:
    """The start of the hourly bar containing `moment` (Yahoo's hours run from the open)."""
    return session.open + HOUR * int((moment - session.open) / HOUR)


def trading_span(start: datetime, end: datetime, bar_size: str) -> tuple[datetime, datetime] | None:
    """`[start, end)` clipped to the trading time inside it and to bars closed by `end`; None
    when no bar of that size both overlaps it and has closed.

    Daily bars are whole sessions, so a daily span runs from the first session's open to the
    close of the last session that closed by `end`. Hourly bars start at the open and on every
    hour after it, so an hourly span starts at the bar containing `start` and ends at the last
    bar boundary (or the close) at or before `end`.
    """
    sessions = sessions_between(start, end)
    if bar_size == DAILY:
        closed = [s for s in sessions if s.close <= end]
        return (closed[0].open, closed[-1].close) if closed else None
    if not sessions:
        return None
    lo, hi = max(start, sessions[0].open), min(end, sessions[-1].close)
    if bar_size == HOURLY:
        lo = _hour_floor(lo, sessions[0])
        if hi < sessions[-1].close:
            hi = _hour_floor(hi, sessions[-1])
    return (lo, hi) if hi > lo else None


def missing_span(
    rows: Iterable[CoverageRow], start: datetime, end: datetime, bar_size: str
) -> tuple[datetime, datetime] | None:
    """The smallest trading span of `[start, end)` that holds everything not yet settled."""
    gaps = [(start, end)]
    for row in sorted(rows, key=lambda r: r.start):
        if row.status not in SETTLED:
            continue
        next_gaps = []
        for lo, hi in gaps:
            if row.end <= lo or row.start >= hi:
                next_gaps.append((lo, hi))
                continue
            if lo < row.start:
                next_gaps.append((lo, row.start))
            if row.end < hi:
                next_gaps.append((row.end, hi))
        gaps = next_gaps
    spans = [s for s in (trading_span(lo, hi, bar_size) for lo, hi in gaps) if s is not None]
    spans = [(lo, hi) for lo, hi in spans if hi > lo]
    if not spans:
        return None
    return min(lo for lo, _ in spans), max(hi for _, hi in spans)


def plan_fetches(
    tickers: Sequence[str],
    start: datetime,
    end: datetime,
    bar_size: str,
    coverage: Mapping[str, Sequence[CoverageRow]],
    unknown_ranges: Mapping[str, int] | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> Plan:
    """Batches of tickers that share a missing span, at most `batch_size` tickers each."""
    unknown_ranges = unknown_ranges or {}
    groups: dict[tuple[datetime, datetime], list[str]] = defaultdict(list)
    attempts: dict[str, int] = {}
    covered, skipped = [], {}
    for ticker in sorted({t.upper() for t in tickers}):
        if unknown_ranges.get(ticker, 0) >= MAX_UNKNOWN_RANGES:
            skipped[ticker] = f"unknown to the source for {unknown_ranges[ticker]} ranges"
            continue
        rows = coverage.get(ticker, [])
        span = missing_span(rows, start, end, bar_size)
        if span is None:
            covered.append(ticker)
            continue
        groups[span].append(ticker)
        attempts[ticker] = max(
            (r.attempts for r in rows if r.status in {"failed", "missing"}), default=0
        )
    requests = []
    for (lo, hi), members in sorted(groups.items()):
        for i in range(0, len(members), batch_size):
            batch = tuple(members[i : i + batch_size])
            requests.append(FetchRequest(bar_size, lo, hi, batch, {t: attempts[t] for t in batch}))
    return Plan(requests, covered, skipped)
