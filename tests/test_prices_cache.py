"""The price cache against the local Yahoo chart server: what is fetched, what is recorded."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg2
import pytest

from tests.servers.yahoo_server import YahooServer, daily_bar, regular_session_bars
from tickerpulse.prices.fetch import RetryPolicy
from tickerpulse.prices.planning import MAX_ATTEMPTS, MAX_UNKNOWN_RANGES
from tickerpulse.prices.store import refresh_bars
from tickerpulse.sources.prices_yfinance import YFinancePriceSource
from tickerpulse.warehouse.migrate import migrate

DAY = date(2026, 11, 23)  # a Monday, EST
START = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
END = START + timedelta(hours=1)
pytestmark = [
    pytest.mark.filterwarnings("ignore:The inplace keyword"),
    pytest.mark.usefixtures("isolated_yfinance_cache"),
]


@pytest.fixture
def yahoo() -> Iterator[YahooServer]:
    bars = {"AAPL": regular_session_bars(DAY, 200.0), "MSFT": regular_session_bars(DAY, 400.0)}
    daily = {
        "GME": [
            daily_bar(date(2026, 11, 23), 100.0, 104.0),
            daily_bar(date(2026, 11, 24), 104.0, 108.0),
            daily_bar(date(2026, 11, 25), 27.0, 28.0),  # after a 4:1 split
            daily_bar(date(2026, 11, 27), 28.0, 29.0),  # early close
        ]
    }
    with YahooServer(bars, daily=daily, splits={"GME": [(date(2026, 11, 25), 4, 1)]}) as server:
        yield server


@pytest.fixture
def cur(fresh_db: str) -> Iterator[Any]:
    migrate(fresh_db)
    conn = psycopg2.connect(fresh_db)
    conn.autocommit = True
    with conn.cursor() as cursor:
        yield cursor
    conn.close()


NO_WAIT = RetryPolicy(attempts=3, base_delay=0.0)


def _coverage(cur: Any) -> list[tuple[Any, ...]]:
    cur.execute(
        "SELECT ticker, status, attempts, reason FROM tickerpulse.price_coverage"
        " ORDER BY ticker, range_end"
    )
    return cur.fetchall()


def test_one_call_per_batch_then_none(cur: Any, yahoo: YahooServer) -> None:
    source = YFinancePriceSource(session=yahoo.session())
    first = refresh_bars(cur, source, ["AAPL", "MSFT"], START, END, retry=NO_WAIT)
    again = refresh_bars(cur, source, ["MSFT", "AAPL"], START, END, retry=NO_WAIT)

    assert (first.calls, first.bars, first.outcomes) == (1, 4, {"ok": ["AAPL", "MSFT"]})
    assert (again.calls, again.covered) == (0, 2)
    cur.execute("SELECT count(*), min(bar_end - bar_start) FROM tickerpulse.prices")
    assert cur.fetchone() == (4, timedelta(minutes=30))
    # The next interval asks only for its own half hour.
    later = refresh_bars(cur, source, ["AAPL"], START, END + timedelta(minutes=30), retry=NO_WAIT)
    assert later.calls == 1
    windowed = [r for r in yahoo.chart_requests() if r.param("period1")]
    assert int(windowed[-1].param("period1") or 0) == int(END.timestamp())


def test_silent_empty_answer_is_retried_recorded_and_given_up(cur: Any, yahoo: YahooServer) -> None:
    yahoo.empty_tickers.update({"AAPL", "MSFT"})
    source = YFinancePriceSource(session=yahoo.session())
    sleeps: list[float] = []
    retry = RetryPolicy(attempts=3, base_delay=0.5, sleep=sleeps.append)

    report = refresh_bars(cur, source, ["AAPL", "MSFT"], START, END, retry=retry)
    assert report.calls == 3
    assert sleeps == [0.5, 1.0]  # exponential backoff
    assert report.outcomes == {"missing": ["AAPL", "MSFT"]}
    assert _coverage(cur)[0][1:3] == ("missing", 1)
    assert "empty response" in _coverage(cur)[0][3]
    for _ in range(MAX_ATTEMPTS - 1):  # later runs ask again, a bounded number of times
        refresh_bars(cur, source, ["AAPL", "MSFT"], START, END, retry=NO_WAIT)
    assert {row[1] for row in _coverage(cur)} == {"gave_up"}
    assert refresh_bars(cur, source, ["AAPL", "MSFT"], START, END, retry=NO_WAIT).calls == 0


def test_http_error_is_retried_and_recovers(cur: Any, yahoo: YahooServer) -> None:
    yahoo.fail_first["MSFT"] = 2  # yfinance itself retries a 500 once
    report = refresh_bars(
        cur,
        YFinancePriceSource(session=yahoo.session()),
        ["AAPL", "MSFT"],
        START,
        END,
        retry=NO_WAIT,
    )
    assert report.calls == 2  # the retry asks only for MSFT
    assert report.outcomes == {"ok": ["AAPL", "MSFT"]}


def test_persistent_http_error_is_recorded_failed(cur: Any, yahoo: YahooServer) -> None:
    yahoo.fail_tickers.add("MSFT")
    report = refresh_bars(
        cur,
        YFinancePriceSource(session=yahoo.session()),
        ["AAPL", "MSFT"],
        START,
        END,
        retry=NO_WAIT,
    )
    assert report.outcomes == {"ok": ["AAPL"], "failed": ["MSFT"]}
    assert ("MSFT", "failed", 1, "request failed: HTTP 500") in _coverage(cur)


def test_delisted_ticker_is_recorded_and_not_retried_forever(cur: Any, yahoo: YahooServer) -> None:
    source = YFinancePriceSource(session=yahoo.session())
    report = refresh_bars(cur, source, ["AAPL", "GONE"], START, END, retry=NO_WAIT)
    assert report.outcomes == {"ok": ["AAPL"], "unknown": ["GONE"]}
    assert refresh_bars(cur, source, ["GONE"], START, END, retry=NO_WAIT).calls == 0
    for i in range(1, MAX_UNKNOWN_RANGES):
        refresh_bars(cur, source, ["GONE"], START, END + timedelta(minutes=30 * i), retry=NO_WAIT)
    final = refresh_bars(cur, source, ["GONE"], START, END + timedelta(hours=3), retry=NO_WAIT)
    assert final.calls == 0
    assert "unknown to the source" in final.skipped["GONE"]
    cur.execute("SELECT ticker, ranges_unknown FROM tickerpulse.price_unknown_tickers")
    assert cur.fetchall() == [("GONE", MAX_UNKNOWN_RANGES)]


def test_a_holiday_needs_no_call(cur: Any, yahoo: YahooServer) -> None:
    thanksgiving = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
    source = YFinancePriceSource(session=yahoo.session())
    report = refresh_bars(cur, source, ["AAPL"], thanksgiving, thanksgiving + timedelta(hours=2))
    assert (report.calls, report.covered) == (0, 1)
    assert yahoo.requests == []


def test_daily_bars_span_sessions_early_close_and_splits(cur: Any, yahoo: YahooServer) -> None:
    # Before the split: Yahoo answers as traded, and the cache stores that basis.
    yahoo.daily["GME"] = [daily_bar(date(2026, 11, 17), 100.0, 104.0)]
    before = YFinancePriceSource(session=yahoo.session(), adjusted_asof=date(2026, 11, 17))
    lo = datetime(2026, 11, 16, tzinfo=UTC)
    refresh_bars(cur, before, ["GME"], lo, lo + timedelta(days=2), bar_size="1d", retry=NO_WAIT)
    # After a 4:1 split on the 19th, Yahoo answers every price on the post-split basis.
    yahoo.daily["GME"] = [
        daily_bar(date(2026, 11, 17), 25.0, 26.0),
        daily_bar(date(2026, 11, 18), 26.0, 27.0),
        daily_bar(date(2026, 11, 19), 27.0, 28.0),
        daily_bar(date(2026, 11, 27), 28.0, 29.0),  # the day after Thanksgiving: early close
    ]
    yahoo.splits["GME"] = [(date(2026, 11, 19), 4, 1)]
    after = YFinancePriceSource(session=yahoo.session(), adjusted_asof=date(2026, 11, 28))
    report = refresh_bars(
        cur, after, ["GME"], lo + timedelta(days=2), lo + timedelta(days=12), "1d", NO_WAIT
    )
    assert report.calls == 1
    assert report.bars == 3
    assert report.splits == 1
    cur.execute(
        "SELECT bar_start::date, bar_end, close, raw_close, split_factor FROM tickerpulse.prices"
        " WHERE bar_size = '1d' ORDER BY bar_start"
    )
    rows = cur.fetchall()
    # The bar cached before the split was rescaled: one basis, and raw keeps the traded price.
    assert [r[2] for r in rows] == [26.0, 27.0, 28.0, 29.0]
    assert [r[3] for r in rows] == [104.0, 108.0, 28.0, 29.0]
    assert rows[0][1] == datetime(2026, 11, 17, 21, 0, tzinfo=UTC)  # 16:00 New York
    assert rows[-1][1] == datetime(2026, 11, 27, 18, 0, tzinfo=UTC)  # 13:00 New York close
