"""The New York Stock Exchange calendar (XNYS from `exchange_calendars`): sessions, holidays,
early closes, the next session open, and trading-time arithmetic.

Why a maintained calendar and not "weekdays 9:30–16:00": holidays move (Juneteenth from 2022,
one-off closures), and early closes (13:00 the day after Thanksgiving, Christmas Eve) shorten a
session, so a bar that "should" exist at 15:00 does not. Getting either wrong turns a closed
market into "missing prices" and a 13:00 close into a stale price at interval end.

Every time here is a tz-aware UTC `datetime`; a session is named by its New York date.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Literal
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from tickerpulse.choices import LlmPolicy

NEW_YORK = ZoneInfo("America/New_York")
CALENDAR_NAME = "XNYS"
CALENDAR_START = "2015-01-01"
REGULAR_CLOSE = time(16, 0)
# Yahoo's extended hours for US equities; what "extended_hours" scoring treats as market time.
PRE_MARKET_OPEN, POST_MARKET_CLOSE = time(4, 0), time(20, 0)

ScoringMode = Literal["llm", "offline", "sample"]
_TICK = timedelta(microseconds=1)
SCORING_POLICIES = tuple(policy.value for policy in LlmPolicy)


@dataclass(frozen=True)
class Session:
    day: date  # the New York date that names the session
    open: datetime  # UTC
    close: datetime  # UTC; earlier than usual on an early close

    @property
    def early_close(self) -> bool:
        return self.close.astimezone(NEW_YORK).time() < REGULAR_CLOSE


@cache
def _calendar() -> object:
    import exchange_calendars as xc

    return xc.get_calendar(CALENDAR_NAME, start=CALENDAR_START)


@cache
def _day_array() -> np.ndarray:
    return np.array(_schedule()[2], dtype="datetime64[D]")


@cache
def _schedule() -> tuple[np.ndarray, np.ndarray, list[date]]:
    """Opens and closes as int64 UTC nanoseconds, sorted, and the session dates."""
    schedule = _calendar().schedule  # type: ignore[attr-defined]
    opens = pd.DatetimeIndex(schedule["open"]).as_unit("ns").asi8
    closes = pd.DatetimeIndex(schedule["close"]).as_unit("ns").asi8
    days = [d.date() for d in pd.DatetimeIndex(schedule.index)]
    return opens, closes, days


def _ns(moment: datetime) -> int:
    return int(pd.Timestamp(_utc(moment)).as_unit("ns").value)


def _dt(ns: int) -> datetime:
    return pd.Timestamp(int(ns), tz=UTC).to_pydatetime()


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _session_at(index: int) -> Session:
    opens, closes, days = _schedule()
    if not 0 <= index < len(days):
        raise ValueError(f"outside the {CALENDAR_NAME} calendar ({days[0]} to {days[-1]})")
    return Session(days[index], _dt(opens[index]), _dt(closes[index]))


def sessions_between(start: datetime, end: datetime) -> list[Session]:
    """Sessions whose trading hours overlap `[start, end)`."""
    opens, closes, _ = _schedule()
    first = int(np.searchsorted(closes, _ns(start), side="right"))
    last = int(np.searchsorted(opens, _ns(end), side="left"))
    return [_session_at(i) for i in range(first, last)]


def session_on(day: date) -> Session | None:
    """The session named `day`, or None on a weekend or holiday."""
    _, _, days = _schedule()
    i = int(np.searchsorted(_day_array(), np.datetime64(day, "D")))
    return _session_at(i) if i < len(days) and days[i] == day else None


def is_holiday(day: date) -> bool:
    """A weekday on which the exchange does not open."""
    return day.weekday() < 5 and session_on(day) is None


def is_early_close(day: date) -> bool:
    session = session_on(day)
    return session is not None and session.early_close


def is_open(moment: datetime) -> bool:
    """Regular trading hours, open inclusive, close exclusive."""
    return session_containing(moment) is not None


def session_containing(moment: datetime) -> Session | None:
    opens, closes, _ = _schedule()
    t = _ns(moment)
    i = int(np.searchsorted(opens, t, side="right")) - 1
    if i >= 0 and t < closes[i]:
        return _session_at(i)
    return None


def bar_ends(starts: Iterable[pd.Timestamp], minutes: int = 30) -> pd.DatetimeIndex:
    """When each intraday bar ends: `minutes` after its start, or at the close if that comes
    first (the last hourly bar of a session, 15:30-16:00 New York, is half an hour; every bar of
    an early close ends at 13:00). Live and replayed bars both end this way, so it is one function.
    """
    ends = []
    for stamp in starts:
        end = stamp + pd.Timedelta(minutes=minutes)
        session = session_containing(stamp.to_pydatetime())
        if session is not None:
            end = min(end, pd.Timestamp(session.close))
        ends.append(end)
    return pd.DatetimeIndex(ends).tz_convert(UTC)


def next_session(moment: datetime) -> Session:
    """The session in progress at `moment`, or else the next one to open."""
    opens, closes, _ = _schedule()
    return _session_at(int(np.searchsorted(closes, _ns(moment), side="right")))


def next_open(moment: datetime) -> datetime:
    """`moment` itself if the market is open, else the next session's open: the time at which a
    reader of a post could first trade on it."""
    session = next_session(moment)
    return max(session.open, _utc(moment))


def session_index(day: date) -> int:
    _, _, days = _schedule()
    i = int(np.searchsorted(_day_array(), np.datetime64(day, "D")))
    if i >= len(days) or days[i] != day:
        raise ValueError(f"{day} is not a {CALENDAR_NAME} session")
    return i


def sessions_after(session: Session, count: int) -> Session:
    """The session `count` sessions after `session` (0 is itself)."""
    return _session_at(session_index(session.day) + count)


def add_trading_time(moment: datetime, delta: timedelta) -> datetime:
    """`moment` plus `delta` of regular trading time, rolling over closed hours.

    A moment outside trading hours starts at the next open. Landing exactly on a close stays on
    the close (the close print is the last price of that session).
    """
    session = next_session(_utc(moment) - _TICK)  # a moment on a close belongs to that session
    at = max(session.open, _utc(moment))
    left = delta
    while True:
        room = session.close - at
        if left <= room:
            return at + left
        left -= room
        session = sessions_after(session, 1)
        at = session.open


def same_time_sessions_later(moment: datetime, count: int) -> datetime:
    """The same offset into the session `count` sessions later, capped at that session's close.

    "+1 trading day" from 10:00 on a Friday is 10:00 on Monday, or Tuesday after a holiday.
    """
    session = next_session(_utc(moment) - _TICK)  # the close print is of its own session
    at = max(session.open, _utc(moment))
    later = sessions_after(session, count)
    return min(later.open + (at - session.open), later.close)


def scoring_mode(start: datetime, end: datetime, policy: str = LlmPolicy.ALWAYS) -> ScoringMode:
    """How to score an interval `[start, end)` under a policy; a data source that follows the
    market day need not pay an LLM for posts nobody can trade on until the next open.

    - "always": "llm" (the run's own choice stands);
    - "market_hours": "llm" when the interval overlaps a regular session, else "offline";
    - "extended_hours": as market_hours, but 04:00–20:00 New York on session days counts;
    - "sample_outside": "llm" in regular hours, "sample" (score a sample with the LLM, the rest
      offline) outside them.
    """
    if policy not in SCORING_POLICIES:
        raise ValueError(f"scoring policy must be one of {SCORING_POLICIES}, got {policy!r}")
    if policy == LlmPolicy.ALWAYS:
        return "llm"
    in_session = bool(sessions_between(start, end))
    if policy == LlmPolicy.MARKET_HOURS:
        return "llm" if in_session else "offline"
    if policy == LlmPolicy.SAMPLE_OUTSIDE:
        return "llm" if in_session else "sample"
    for session in sessions_between(start - timedelta(hours=6), end + timedelta(hours=6)):
        local = session.open.astimezone(NEW_YORK).date()
        lo = datetime.combine(local, PRE_MARKET_OPEN, NEW_YORK).astimezone(UTC)
        hi = datetime.combine(local, POST_MARKET_CLOSE, NEW_YORK).astimezone(UTC)
        if _utc(start) < hi and lo < _utc(end):
            return "llm"
    return "offline"
