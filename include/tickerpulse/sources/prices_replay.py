"""Replay recorded price bars from one CSV per ticker: 30-minute, hourly and daily bars.

Layout: `<root>/prices/<TICKER>.csv` (30-minute bars) and `<root>/prices_hourly/<TICKER>.csv`
(hourly bars, starting on the half hour as Yahoo's do) with header
`bar_start,open,high,low,close,volume` and `bar_start` in ISO 8601 with an offset. A ticker with
no file is simply absent from the result, exactly as a delisted symbol is absent from a live
price feed, so the prices stage learns to cope with gaps in the demo too. Files are parsed once
per instance: a backfill asks for the same tickers interval after interval.

Daily bars live in `<root>/prices_daily/<TICKER>.csv` in Yahoo's "Download historical data"
layout (`Date,Open,High,Low,Close,Adj Close,Volume`, trading days only), the format the real
2021 price files come in; each bar is placed at its session's open and ends at its close.
Prices are taken as the file gives them (split-adjusted as of its download): the caller that
mixes files downloaded on either side of a split rescales them first (see
tools/real_data.py).

The replay has the same fallbacks as Yahoo, by what it holds rather than by age: `bar_sizes()`
lists the sizes it has folders for, finest first, and the prices task asks the finest and falls
back to the next for tickers without bars, so a replay folder of 2021 daily files prices a 2021
backfill offline exactly as Yahoo's daily bars would.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from tickerpulse.market_calendar import bar_ends
from tickerpulse.prices.planning import DAILY, HOURLY, INTRADAY
from tickerpulse.prices.result import FETCH_COLUMNS, FetchResult, empty_fetch_frame
from tickerpulse.sources.base import PRICE_COLUMNS

# Real symbols are short; anything else (e.g. "../x") is never a file name we would read.
_TICKER = re.compile(r"^[A-Z0-9][A-Z0-9.\-]{0,9}$")
_FLOAT_COLUMNS = ["open", "high", "low", "close"]
FOLDERS = {INTRADAY: "prices", HOURLY: "prices_hourly", DAILY: "prices_daily"}
_MINUTES = {INTRADAY: 30, HOURLY: 60}


def _utc(value: datetime) -> pd.Timestamp:
    stamp = pd.Timestamp(value)
    return stamp.tz_localize(UTC) if stamp.tzinfo is None else stamp.tz_convert(UTC)


def _empty() -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "ticker": pd.Series([], dtype="str"),
            "bar_start": pd.Series([], dtype="datetime64[us, UTC]"),
            **{column: pd.Series([], dtype="float64") for column in _FLOAT_COLUMNS},
            "volume": pd.Series([], dtype="int64"),
        }
    )
    return frame[PRICE_COLUMNS]


class ReplayPriceSource:
    """A `PriceSource` over `<root>/prices/*.csv` (the shipped sample by default)."""

    name = "replay"

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._cache: dict[tuple[str, str], pd.DataFrame | None] = {}
        self._daily: dict[str, pd.DataFrame | None] = {}

    def bar_sizes(self) -> tuple[str, ...]:
        """The bar sizes this replay holds, finest first."""
        sizes = tuple(size for size, folder in FOLDERS.items() if (self.root / folder).is_dir())
        return sizes or (INTRADAY,)

    def bars(self, tickers: Sequence[str], start: datetime, end: datetime) -> pd.DataFrame:
        lo, hi = _utc(start), _utc(end)
        frames = []
        for ticker in dict.fromkeys(t.strip().upper() for t in tickers):
            frame = self._load(ticker)
            if frame is None:
                continue
            window = frame[(frame["bar_start"] >= lo) & (frame["bar_start"] < hi)]
            if not window.empty:
                frames.append(window)
        if not frames:
            return _empty()
        result = pd.concat(frames, ignore_index=True)
        return result.sort_values(["ticker", "bar_start"], kind="stable", ignore_index=True)

    def fetch(
        self, tickers: Sequence[str], start: datetime, end: datetime, interval: str = "30m"
    ) -> FetchResult:
        """Bars of one bar size; a ticker with no file is reported unknown, as Yahoo's 404 is."""
        lo, hi = _utc(start), _utc(end)
        if interval not in FOLDERS:
            raise ValueError(f"interval must be one of {tuple(FOLDERS)}, got {interval!r}")
        wanted = list(dict.fromkeys(t.strip().upper() for t in tickers if t and t.strip()))
        frames, unknown = [], set()
        for ticker in wanted:
            frame = self._load_daily(ticker) if interval == DAILY else self._load(ticker, interval)
            if frame is None:
                unknown.add(ticker)
                continue
            window = frame[(frame["bar_start"] >= lo) & (frame["bar_start"] < hi)]
            if not window.empty:
                frames.append(window)
        if not frames:
            return FetchResult(empty_fetch_frame(), unknown=unknown)
        result = pd.concat(frames, ignore_index=True)
        if "bar_end" not in result:
            starts = result["bar_start"]
            result["bar_end"] = pd.Series(bar_ends(starts, _MINUTES[interval]), index=starts.index)
            result["adj_close"] = float("nan")
        result = result[FETCH_COLUMNS].sort_values(["ticker", "bar_start"], kind="stable")
        return FetchResult(result.reset_index(drop=True), unknown=unknown)

    def _load_daily(self, ticker: str) -> pd.DataFrame | None:
        if ticker in self._daily:
            return self._daily[ticker]
        path = self.root / "prices_daily" / f"{ticker}.csv"
        frame = None
        if _TICKER.match(ticker) and path.is_file():
            frame = read_yahoo_daily_csv(path, ticker)
        self._daily[ticker] = frame
        return frame

    def _load(self, ticker: str, interval: str = INTRADAY) -> pd.DataFrame | None:
        if (ticker, interval) in self._cache:
            return self._cache[(ticker, interval)]
        path = self.root / FOLDERS[interval] / f"{ticker}.csv"
        frame = None
        if _TICKER.match(ticker) and path.is_file():
            raw = pd.read_csv(path, dtype={"bar_start": "str"})
            frame = pd.DataFrame(
                {
                    "ticker": pd.Series([ticker] * len(raw), dtype="str"),
                    "bar_start": pd.to_datetime(raw["bar_start"], utc=True).astype(
                        "datetime64[us, UTC]"
                    ),
                    **{c: raw[c].astype("float64") for c in _FLOAT_COLUMNS},
                    "volume": raw["volume"].astype("int64"),
                }
            )[PRICE_COLUMNS]
        self._cache[(ticker, interval)] = frame
        return frame


def read_yahoo_daily_csv(path: Path, ticker: str) -> pd.DataFrame:
    """A Yahoo daily export as FETCH_COLUMNS rows, each bar spanning its session."""
    from tickerpulse.market_calendar import session_on

    raw = pd.read_csv(path, na_values=["null", "NA"]).dropna(subset=["Close"])
    starts, ends = [], []
    keep = []
    for i, day in enumerate(pd.to_datetime(raw["Date"]).dt.date):
        session = session_on(day)
        if session is None:  # a forward-filled weekend or holiday row: no trading happened
            continue
        keep.append(i)
        starts.append(session.open)
        ends.append(session.close)
    raw = raw.iloc[keep]
    volume = raw["Volume"] if "Volume" in raw else pd.Series([0] * len(raw))
    return pd.DataFrame(
        {
            "ticker": pd.Series([ticker] * len(raw), dtype="str"),
            "bar_start": pd.to_datetime(pd.Series(starts, dtype="object"), utc=True),
            **{c: raw[c.capitalize()].astype("float64").to_numpy() for c in _FLOAT_COLUMNS},
            "volume": volume.fillna(0).astype("int64").to_numpy(),
            "bar_end": pd.to_datetime(pd.Series(ends, dtype="object"), utc=True),
            "adj_close": raw["Adj Close"].astype("float64").to_numpy(),
        }
    )[FETCH_COLUMNS]
