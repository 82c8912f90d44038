"""When each symbol traded: what makes ticker extraction right for a post's own date.

Three sources, best first (resolved in SQL, `symbol_trading_dates.sql`):
1. Yahoo's `firstTradeDate`, in the chart metadata of every price fetch (stored by the prices
   task through `record_first_trades`);
2. the curated dates of the packaged list (HOOD from 2021-07-29, BBBY until 2023-05-02);
3. the days the directory refresh first and last listed the symbol.
A date no source knows restricts nothing: an old mention of a symbol whose listing date nobody
recorded still counts, as it did before these dates existed.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import date
from typing import Any

from tickerpulse.config import Settings
from tickerpulse.symbols import SymbolTable, load_symbols
from tickerpulse.warehouse.db import connect
from tickerpulse.warehouse.queries import query

log = logging.getLogger(__name__)

TradingDates = dict[str, tuple[date | None, date | None]]


def trading_dates(cur: Any) -> TradingDates:
    """(first, last) trading day per symbol from the warehouse, where either is known."""
    cur.execute(query("symbol_trading_dates"))
    return {
        symbol: (first, last)
        for symbol, first, last in cur.fetchall()
        if first is not None or last is not None
    }


def record_first_trades(cur: Any, first_trades: Mapping[str, date], source: str) -> int:
    """Store Yahoo's first trading day per symbol; returns how many were given."""
    rows = [
        {"symbol": symbol, "first_trade_date": day, "source": source}
        for symbol, day in sorted(first_trades.items())
    ]
    if rows:
        cur.executemany(query("symbol_upsert_first_trade"), rows)
    return len(rows)


def symbol_table_for(settings: Settings) -> SymbolTable:
    """The table the filter stage extracts with: the warehouse's directory (else the packaged
    list) with every trading date the warehouse knows. Without the warehouse: the packaged list
    and its curated dates."""
    if not settings.warehouse_on:
        return load_symbols()
    from tickerpulse.symbols_directory import load_symbols_from_db
    from tickerpulse.warehouse.migrate import migrate

    migrate(settings)
    table = load_symbols_from_db(settings) or load_symbols()
    with connect(settings) as conn, conn.cursor() as cur:
        dates = trading_dates(cur)
    return table.with_trading_dates(dates)
