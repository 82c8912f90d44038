"""Prices joined to moments in time: the as-of price, the entry price and forward returns.

A bar is two prints: its open at bar_start and its close at bar_end (a daily bar: the session's
open and close). For a moment t (a post, or a bucket end):
- `price_asof`: the last print at or before t, what a reader of the post saw;
- `entry`: the first print at or after t. Outside trading hours that is the next session's open:
  nobody could trade on an evening post at the close it came after, and the overnight gap is
  exactly what such a post may already be reacting to, so measuring from the prior close would
  credit the post with a move it only reported;
- forward returns from the entry price: +30 min and +1 h of trading time (rolling over closed
  hours), and +1 / +5 trading days (the same time of day that many sessions later), each priced at
  the last print at or before the target, within the target's session.
A return whose target lies beyond what the cache has settled is unknown (None) and filled in by a
later run. A horizon needs bars at least as fine as itself: +30 min needs 30-minute bars, +1 h
30-minute or hourly bars; with daily bars only both stay None.

The prints used for a moment are the finest that cover its session (30-minute, then hourly, then
daily), and a print counts only from the time it was printed: a daily bar's close at 16:00 New
York never prices a post made at 10:00 that day (it gets the day's open as its as-of price, if
made after the open, and the close as its entry). At daily resolution the entry is therefore the
close of the post's own session for a post made while the market is open, the next open for one
made while it is closed, and +1d / +5d compare that print with the same print (close or open)
one and five sessions later.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd

from tickerpulse.market_calendar import (
    add_trading_time,
    is_open,
    next_session,
    same_time_sessions_later,
)

HORIZONS: dict[str, tuple[str, int]] = {
    "30m": ("trading_time", 30),
    "1h": ("trading_time", 60),
    "1d": ("sessions", 1),
    "5d": ("sessions", 5),
}
# Minutes a bar of each size spans: a trading-time horizon shorter than the bar is never known.
BAR_MINUTES = {"30m": 30, "1h": 60, "1d": 390}
GIVE_UP_AFTER = timedelta(days=14)  # a mention older than this is final, whatever is missing


@dataclass(frozen=True)
class Prints:
    """One ticker's prints at one resolution, sorted by time (an open after a close at a tie)."""

    bar_size: str
    times: np.ndarray  # int64 UTC nanoseconds
    prices: np.ndarray
    known_until: datetime | None  # prints up to here are settled

    @classmethod
    def from_bars(cls, bars: pd.DataFrame, bar_size: str, known_until: datetime | None) -> Prints:
        """`bars` has bar_start, bar_end, open, close (one ticker, one bar size)."""
        if bars.empty:
            return cls(bar_size, np.array([], "int64"), np.array([], "float64"), known_until)
        starts = _ns(bars["bar_start"])
        ends = _ns(bars["bar_end"])
        times = np.concatenate([ends, starts])
        prices = np.concatenate(
            [bars["close"].to_numpy("float64"), bars["open"].to_numpy("float64")]
        )
        kind = np.concatenate([np.zeros(len(ends)), np.ones(len(starts))])  # close, then open
        order = np.lexsort((kind, times))
        keep = ~np.isnan(prices[order])
        return cls(bar_size, times[order][keep], prices[order][keep], known_until)

    def covers(self, moment: datetime) -> bool:
        return self.known_until is not None and moment <= self.known_until

    def last_at_or_before(self, moment: datetime) -> tuple[datetime, float] | None:
        i = int(np.searchsorted(self.times, _ns1(moment), side="right")) - 1
        return (_dt(self.times[i]), float(self.prices[i])) if i >= 0 else None

    def first_at_or_after(self, moment: datetime) -> tuple[datetime, float] | None:
        i = int(np.searchsorted(self.times, _ns1(moment), side="left"))
        if i < len(self.times):
            return _dt(self.times[i]), float(self.prices[i])
        return None

    def has_session_of(self, moment: datetime) -> bool:
        """Any print in the session in progress at `moment` or next to open."""
        session = next_session(moment)
        lo = int(np.searchsorted(self.times, _ns1(session.open), side="left"))
        return lo < len(self.times) and self.times[lo] <= _ns1(session.close)


@dataclass(frozen=True)
class Joined:
    in_session: bool
    bar_size: str | None
    price_asof: float | None
    entry_time: datetime | None
    entry_price: float | None
    price_at: float | None  # last print at or before the second moment (e.g. interval end)
    returns: dict[str, float | None]
    complete: bool


def choose_prints(moment: datetime, levels: list[Prints]) -> Prints:
    """The finest prints that cover the session of `moment`, else the finest that have any."""
    for prints in levels:
        if prints.has_session_of(moment):
            return prints
    for prints in levels:
        if prints.times.size:
            return prints
    return levels[-1]


def join_moment(
    moment: datetime,
    intraday: Prints,
    daily: Prints,
    also_at: datetime | None = None,
    now: datetime | None = None,
    hourly: Prints | None = None,
) -> Joined:
    """Prices for one moment, from the finest prints that cover its session (30-minute, then
    hourly, then daily)."""
    moment = _utc(moment)
    levels = [intraday] + ([hourly] if hourly is not None else []) + [daily]
    prints = choose_prints(moment, levels)
    asof = prints.last_at_or_before(moment)
    at = prints.last_at_or_before(_utc(also_at)) if also_at is not None else None
    entry = prints.first_at_or_after(moment)
    if entry is not None and not prints.covers(entry[0]):
        entry = None
    returns: dict[str, float | None] = {name: None for name in HORIZONS}
    pending = False
    if entry is None:
        pending = True
    else:
        for name, (kind, amount) in HORIZONS.items():
            if kind == "trading_time" and BAR_MINUTES.get(prints.bar_size, 0) > amount:
                continue  # never known at this resolution
            if kind == "trading_time":
                target = add_trading_time(entry[0], timedelta(minutes=amount))
            else:
                target = same_time_sessions_later(entry[0], amount)
            if not prints.covers(target):
                pending = True
                continue
            exit_ = prints.last_at_or_before(target)
            session_open = next_session(target - timedelta(microseconds=1)).open
            if exit_ is None or exit_[0] <= entry[0] or exit_[0] < session_open:
                continue  # settled but no print in the target's session: stays unknown
            if entry[1] > 0:
                returns[name] = exit_[1] / entry[1] - 1.0
    stale = now is not None and _utc(now) - moment > GIVE_UP_AFTER
    return Joined(
        in_session=is_open(moment),
        bar_size=prints.bar_size if prints.times.size else None,
        price_asof=asof[1] if asof else None,
        entry_time=entry[0] if entry else None,
        entry_price=entry[1] if entry else None,
        price_at=at[1] if at else None,
        returns=returns,
        complete=not pending or stale,
    )


def _ns(column: pd.Series) -> np.ndarray:
    return pd.DatetimeIndex(pd.to_datetime(column, utc=True)).as_unit("ns").asi8


def _ns1(moment: datetime) -> int:
    return int(pd.Timestamp(_utc(moment)).as_unit("ns").value)


def _dt(ns: np.int64) -> datetime:
    return pd.Timestamp(int(ns), tz=UTC).to_pydatetime()


def _utc(moment: datetime) -> datetime:
    if isinstance(moment, pd.Timestamp):
        moment = moment.to_pydatetime()
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
