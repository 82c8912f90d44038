"""What a price source says about one batched request, ticker by ticker.

The PriceSource contract (`bars()`) can only say "these bars"; a cache needs to know why a ticker
has none (unknown to Yahoo, a failed request, or simply no trades), so it records the outcome and
does not ask again for an answer it already has.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from tickerpulse.sources.base import PRICE_COLUMNS

# `bars` plus the columns only some bar sizes have; bar_end is when the close printed.
FETCH_COLUMNS = [*PRICE_COLUMNS, "bar_end", "adj_close"]


@dataclass
class FetchResult:
    frame: pd.DataFrame  # FETCH_COLUMNS, sorted by ticker and bar_start
    unknown: set[str] = field(default_factory=set)  # unknown or delisted symbols
    failed: dict[str, str] = field(default_factory=dict)  # ticker -> why nothing is known
    splits: list[tuple[str, date, float]] = field(default_factory=list)  # (ticker, day, ratio)
    # What the source says about each symbol's first trading day (Yahoo's firstTradeDate).
    first_trade: dict[str, date] = field(default_factory=dict)
    # Tickers the source keeps no bars of this size for so far back: ask a coarser size.
    too_old: set[str] = field(default_factory=set)


def empty_fetch_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "ticker": pd.Series(dtype="object"),
            "bar_start": pd.Series(dtype="datetime64[ns, UTC]"),
            "open": pd.Series(dtype="float64"),
            "high": pd.Series(dtype="float64"),
            "low": pd.Series(dtype="float64"),
            "close": pd.Series(dtype="float64"),
            "volume": pd.Series(dtype="int64"),
            "bar_end": pd.Series(dtype="datetime64[ns, UTC]"),
            "adj_close": pd.Series(dtype="float64"),
        }
    )[FETCH_COLUMNS]
