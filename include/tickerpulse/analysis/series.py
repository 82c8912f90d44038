"""Per-ticker series the statistics run on, built from 30-minute sentiment buckets and price prints.

- Daily (horizons 1d, 5d): a trading day s collects the buckets that end after the close of the
  session before it and up to its own close; its sentiment is the scored-weighted mean of those
  buckets, its volume the sum of their mentions. The forward return is close-to-close: from the
  close of s (the first close a reader of those posts could trade at) to the close k sessions
  later. A weekend's or holiday's posts belong to the next session.
- Intraday (horizons 30m, 1h): one point per 30-minute bucket ending inside a session; the return
  runs from the first print at or after the bucket end, over 30/60 minutes of trading time. Only
  when 30-minute bars exist.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from tickerpulse.market_calendar import (
    Session,
    is_open,
    next_session,
    sessions_after,
    sessions_between,
)
from tickerpulse.prices.joins import Prints, join_moment

BUCKET = timedelta(minutes=30)


@dataclass(frozen=True)
class Series:
    """Aligned arrays on a regular grid (trading days or in-session buckets); NaN = no value."""

    steps: list[object]  # session dates or bucket starts
    sentiment: np.ndarray
    mentions: np.ndarray
    returns: dict[str, np.ndarray]  # horizon -> forward return from each step


def _trading_day_of(bucket_end: datetime) -> Session:
    return next_session(bucket_end - timedelta(microseconds=1))


def _close_price(prints: Prints, session: Session) -> float | None:
    if not prints.covers(session.close):
        return None
    last = prints.last_at_or_before(session.close)
    if last is None or last[0] < session.open:
        return None
    return last[1]


def trading_days_with_data(buckets: pd.DataFrame) -> set[date]:
    """Trading days on which anything at all was collected (any ticker). On the others the
    mention volume is unknown (a collection gap), not zero."""
    if buckets.empty:
        return set()
    starts = pd.to_datetime(buckets["bucket_start"], utc=True)
    return {_trading_day_of(pd.Timestamp(s).to_pydatetime() + BUCKET).day for s in starts}


def daily_series(
    buckets: pd.DataFrame,
    intraday: Prints,
    daily: Prints,
    start: datetime,
    end: datetime,
    collected: set[date] | None = None,
) -> Series:
    """`buckets`: one ticker's rows with bucket_start, mentions, scored, weighted_mean;
    `collected`: the trading days with any data (default: this ticker's own days)."""
    sessions = sessions_between(start, end)
    weighted: dict[date, float] = defaultdict(float)
    scored: dict[date, float] = defaultdict(float)
    mentions: dict[date, float] = defaultdict(float)
    for row in _records(buckets):
        day = _trading_day_of(pd.Timestamp(row["bucket_start"]).to_pydatetime() + BUCKET).day
        mentions[day] += float(row["mentions"])
        mean, count = row["weighted_mean"], row["scored"]
        if mean is not None and not pd.isna(mean) and count:
            weighted[day] += float(mean) * float(count)
            scored[day] += float(count)
    prints = daily if daily.times.size else intraday
    closes: dict[date, float | None] = {}

    def close_of(session: Session) -> float | None:
        if session.day not in closes:
            closes[session.day] = _close_price(prints, session) or _close_price(intraday, session)
        return closes[session.day]

    days = [s.day for s in sessions]
    sentiment = np.array(
        [weighted[d] / scored[d] if scored[d] else np.nan for d in days], dtype="float64"
    )
    known = collected if collected is not None else set(mentions)
    volume = np.array([mentions[d] if d in known else np.nan for d in days], dtype="float64")
    returns: dict[str, np.ndarray] = {}
    for name, k in (("1d", 1), ("5d", 5)):
        values = []
        for session in sessions:
            base, later = close_of(session), close_of(sessions_after(session, k))
            values.append(later / base - 1.0 if base and later is not None else np.nan)
        returns[name] = np.array(values, dtype="float64")
    return Series(list(days), sentiment, volume, returns)


def intraday_series(
    buckets: pd.DataFrame, intraday: Prints, start: datetime, end: datetime
) -> Series | None:
    if not intraday.times.size:
        return None
    by_start = {pd.Timestamp(b["bucket_start"]).to_pydatetime(): b for b in _records(buckets)}
    steps: list[object] = []
    sentiment, volume = [], []
    returns: dict[str, list[float]] = {"30m": [], "1h": []}
    empty = Prints("1d", np.array([], "int64"), np.array([], "float64"), None)
    for session in sessions_between(start, end):
        if not intraday.has_session_of(session.open):
            continue
        moment = session.open
        while moment < session.close:
            bucket_end = moment + BUCKET
            row = by_start.get(moment)
            steps.append(moment)
            volume.append(float(row["mentions"]) if row is not None else 0.0)
            value: Any = row["weighted_mean"] if row is not None else None
            sentiment.append(np.nan if value is None or pd.isna(value) else float(value))
            joined = join_moment(bucket_end, intraday, empty)
            for name in returns:
                got = joined.returns[name] if is_open(moment) else None
                returns[name].append(np.nan if got is None else got)
            moment = bucket_end
    if not steps:
        return None
    return Series(
        steps,
        np.array(sentiment, dtype="float64"),
        np.array(volume, dtype="float64"),
        {k: np.array(v, dtype="float64") for k, v in returns.items()},
    )


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in row.items()} for row in frame.to_dict("records")]
