"""Replay recorded 30-minute price bars from one CSV per ticker.

Layout: `<root>/prices/<TICKER>.csv` with header `bar_start,open,high,low,close,volume` and
`bar_start` in ISO 8601 with an offset. A ticker with no file is simply absent from the result,
exactly as a delisted symbol is absent from a live price feed, so the prices stage learns to cope
with gaps in the demo too. Files are parsed once per instance: a backfill asks for the same
tickers interval after interval.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from tickerpulse.sources.base import PRICE_COLUMNS

# Real symbols are short; anything else (e.g. "../x") is never a file name we would read.
_TICKER = re.compile(r"^[A-Z0-9][A-Z0-9.\-]{0,9}$")
_FLOAT_COLUMNS = ["open", "high", "low", "close"]


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
        self._cache: dict[str, pd.DataFrame | None] = {}

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

    def _load(self, ticker: str) -> pd.DataFrame | None:
        if ticker in self._cache:
            return self._cache[ticker]
        path = self.root / "prices" / f"{ticker}.csv"
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
        self._cache[ticker] = frame
        return frame
