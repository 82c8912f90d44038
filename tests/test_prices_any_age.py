"""Prices for any age: 30-minute bars where Yahoo keeps them, hourly, then daily; every price says
which size it came from; a bar's close counts only from the moment it closed.

The loopback Yahoo server is given a `now`, so it answers as Yahoo does for that age: 422 for
15-minute requests older than 60 days, hourly to 730 days, daily for any date.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import psycopg2
import pytest

from tests.servers.yahoo_server import YahooServer, daily_bar, regular_session_bars
from tickerpulse.prices.fetch import RetryPolicy
from tickerpulse.prices.joins import Prints, join_moment
from tickerpulse.prices.planning import DAILY, HOURLY, INTRADAY, bar_sizes_for, trading_span
from tickerpulse.prices.store import refresh_bars_at_sizes
from tickerpulse.sources.prices_replay import ReplayPriceSource
from tickerpulse.sources.prices_yfinance import YFinancePriceSource
from tickerpulse.warehouse.migrate import migrate

pytestmark = [
    pytest.mark.filterwarnings("ignore:The inplace keyword"),
    pytest.mark.usefixtures("isolated_yfinance_cache"),
]

OLD_DAY = date(2021, 1, 28)  # a Thursday, New York on EST: the open is 14:30 UTC
NOW = datetime(2021, 6, 1, tzinfo=UTC)  # 124 days later: no 30-minute bars, hourly ones yes
NO_WAIT = RetryPolicy(attempts=2, base_delay=0.0)


def utc(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def test_bar_sizes_follow_yahoos_reach() -> None:
    now = datetime(2026, 11, 29, tzinfo=UTC)
    assert bar_sizes_for(now - timedelta(days=10), now) == (INTRADAY, HOURLY, DAILY)
    assert bar_sizes_for(now - timedelta(days=100), now) == (HOURLY, DAILY)
    assert bar_sizes_for(now - timedelta(days=800), now) == (DAILY,)


def test_only_bars_closed_by_the_end_of_the_range_are_asked_for() -> None:
    # A run for 14:30-15:00 UTC must not fetch the hourly bar 14:30-15:30 nor the day's bar.
    lo = utc(OLD_DAY, 5)
    assert trading_span(lo, utc(OLD_DAY, 15), HOURLY) is None
    assert trading_span(lo, utc(OLD_DAY, 15, 30), HOURLY) == (
        utc(OLD_DAY, 14, 30),
        utc(OLD_DAY, 15, 30),
    )
    assert trading_span(utc(OLD_DAY, 15), utc(OLD_DAY, 17), HOURLY) == (
        utc(OLD_DAY, 14, 30),  # the bar that contains the start
        utc(OLD_DAY, 16, 30),
    )
    assert trading_span(lo, utc(OLD_DAY, 20, 30), DAILY) is None
    assert trading_span(lo, utc(OLD_DAY, 21), DAILY) == (utc(OLD_DAY, 14, 30), utc(OLD_DAY, 21))
    assert trading_span(lo, utc(OLD_DAY, 15), INTRADAY) == (utc(OLD_DAY, 14, 30), utc(OLD_DAY, 15))


@pytest.fixture
def yahoo() -> Iterator[YahooServer]:
    bars = {"GME": regular_session_bars(OLD_DAY, 100.0), "AMC": regular_session_bars(OLD_DAY, 5.0)}
    daily = {
        "GME": [daily_bar(date(2021, 1, 27), 88.0, 347.5), daily_bar(OLD_DAY, 265.0, 193.6)],
        "AMC": [daily_bar(date(2021, 1, 27), 19.0, 19.9), daily_bar(OLD_DAY, 16.0, 8.6)],
        "OLD": [daily_bar(date(2018, 3, 1), 10.0, 11.0)],
    }
    first = {"GME": date(2002, 2, 13), "HOOD": date(2021, 7, 29)}
    with YahooServer(bars, daily=daily, now=NOW, first_trade=first) as server:
        yield server


def test_yahoo_refuses_old_intraday_ranges_and_the_source_says_so(yahoo: YahooServer) -> None:
    source = YFinancePriceSource(session=yahoo.session(), adjusted_asof=NOW.date())
    lo, hi = utc(OLD_DAY, 14, 30), utc(OLD_DAY, 21)
    too_old = source.fetch(["GME"], lo, hi, "30m")
    assert too_old.frame.empty
    assert too_old.too_old == {"GME"}
    assert too_old.unknown == set()
    hourly = source.fetch(["GME"], lo, hi, "1h")
    starts = [t.to_pydatetime() for t in hourly.frame["bar_start"]]
    assert starts == [utc(OLD_DAY, h, 30) for h in range(14, 21)]  # 9:30 ... 15:30 New York
    ends = [t.to_pydatetime() for t in hourly.frame["bar_end"]]
    assert ends[-1] == utc(OLD_DAY, 21)  # the last hour of the session is half an hour
    assert ends[0] == utc(OLD_DAY, 15, 30)
    assert hourly.first_trade == {"GME": date(2002, 2, 13)}  # Yahoo's firstTradeDate


def test_each_ticker_falls_back_to_the_finest_size_that_has_bars(
    yahoo: YahooServer, fresh_db: str
) -> None:
    migrate(fresh_db)
    source = YFinancePriceSource(session=yahoo.session(), adjusted_asof=NOW.date())
    lo, hi = utc(OLD_DAY, 0), utc(OLD_DAY, 23)
    with psycopg2.connect(fresh_db) as conn, conn.cursor() as cur:
        sizes = bar_sizes_for(lo, NOW)
        summaries = refresh_bars_at_sizes(cur, source, ["GME", "OLD"], lo, hi, sizes, NO_WAIT)
        assert [s.bar_size for s in summaries] == [HOURLY, DAILY]
        assert summaries[0].with_bars == ["GME"]
        assert summaries[1].tickers == 1  # only OLD was asked for daily bars
        cur.execute(
            "SELECT ticker, bar_size, count(*) FROM tickerpulse.prices GROUP BY 1, 2 ORDER BY 1"
        )
        assert cur.fetchall() == [("GME", "1h", 7)]  # OLD has no bar on that day
        cur.execute("SELECT symbol, first_trade_date FROM tickerpulse.symbol_first_trades")
        first_trades = dict(cur.fetchall())
        assert first_trades["GME"] == date(2002, 2, 13)
        assert first_trades["OLD"] == date(1980, 12, 12)  # the server's default answer
        # From Yahoo's "now", 30-minute bars are too old: recorded as settled, never re-asked.
        thirty = refresh_bars_at_sizes(cur, source, ["GME"], lo, hi, (INTRADAY,), NO_WAIT)
        assert thirty[0].outcomes == {"empty": ["GME"]}
        cur.execute("SELECT reason FROM tickerpulse.price_coverage WHERE bar_size = '30m'")
        assert cur.fetchone() == ("older than the source keeps 30m bars",)
        again = refresh_bars_at_sizes(cur, source, ["GME"], lo, hi, (INTRADAY,), NO_WAIT)
        assert again[0].calls == 0


def _prints(rows: list[tuple[datetime, datetime, float, float]], size: str) -> Prints:
    frame = pd.DataFrame(rows, columns=["bar_start", "bar_end", "open", "close"])
    return Prints.from_bars(frame, size, rows[-1][1] if rows else None)


EMPTY_30M = _prints([], "30m")


def test_a_daily_close_never_prices_a_post_made_before_it() -> None:
    daily = _prints(
        [
            (utc(date(2021, 1, d), 14, 30), utc(date(2021, 1, d), 21), o, c)
            for d, o, c in [(27, 88.0, 347.5), (28, 265.0, 193.6), (29, 379.7, 325.0)]
        ],
        "1d",
    )
    before_open = join_moment(utc(OLD_DAY, 13), EMPTY_30M, daily)
    in_session = join_moment(utc(OLD_DAY, 15), EMPTY_30M, daily)
    assert before_open.price_asof == 347.5  # Wednesday's close: all a reader at 8:00 knew
    assert before_open.entry_price == 265.0  # Thursday's open
    assert in_session.bar_size == "1d"
    assert in_session.price_asof == 265.0  # the open: the 193.6 close is 6 hours away
    assert in_session.entry_price == 193.6  # the first print after the post
    assert in_session.returns["1d"] == pytest.approx(325.0 / 193.6 - 1)  # close to close
    assert in_session.returns["30m"] is None
    assert in_session.returns["1h"] is None


def test_hourly_bars_give_the_hour_but_not_the_half_hour() -> None:
    rows = [
        (
            utc(OLD_DAY, h, 30),
            utc(OLD_DAY, h + 1, 30) if h < 20 else utc(OLD_DAY, 21),
            100.0 + h,
            101.0 + h,
        )
        for h in range(14, 21)
    ]
    hourly = _prints(rows, "1h")
    daily = _prints([(utc(OLD_DAY, 14, 30), utc(OLD_DAY, 21), 114.0, 121.0)], "1d")
    joined = join_moment(utc(OLD_DAY, 15, 10), EMPTY_30M, daily, hourly=hourly)
    assert joined.bar_size == "1h"  # the finest size that covers the session
    assert joined.price_asof == 114.0  # the 14:30 bar's open; its close prints at 15:30
    assert joined.entry_time == utc(OLD_DAY, 15, 30)
    assert joined.returns["1h"] == pytest.approx(116.0 / 115.0 - 1)
    assert joined.returns["30m"] is None


def test_the_replay_has_the_same_fallbacks_by_what_it_holds(tmp_path: Path) -> None:
    (tmp_path / "prices_daily").mkdir()
    (tmp_path / "prices_daily" / "GME.csv").write_text(
        "Date,Open,High,Low,Close,Adj Close,Volume\n2021-01-28,265,483,112.25,193.6,193.6,1\n"
    )
    assert ReplayPriceSource(tmp_path).bar_sizes() == (DAILY,)
    (tmp_path / "prices_hourly").mkdir()
    (tmp_path / "prices_hourly" / "GME.csv").write_text(
        "bar_start,open,high,low,close,volume\n2021-01-28T15:30:00+00:00,300,310,290,305,5\n"
        "2021-01-28T20:30:00+00:00,200,210,190,193.6,5\n"
    )
    source = ReplayPriceSource(tmp_path)
    assert source.bar_sizes() == (HOURLY, DAILY)
    hourly = source.fetch(["GME", "NOPE"], utc(OLD_DAY, 0), utc(OLD_DAY, 23), HOURLY)
    assert hourly.unknown == {"NOPE"}
    assert [t.to_pydatetime() for t in hourly.frame["bar_end"]] == [
        utc(OLD_DAY, 16, 30),
        utc(OLD_DAY, 21),  # capped at the close
    ]


def _bar(cur: Any, ticker: str, size: str, start: datetime, end: datetime, close: float) -> None:
    cur.execute(
        "INSERT INTO tickerpulse.prices (ticker, bar_size, bar_start, bar_end, open, high, low,"
        " close, volume, source) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, 1, 'test')",
        (ticker, size, start, end, close, close, close, close),
    )


def test_the_rollup_price_is_the_last_close_known_at_the_bucket_end(fresh_db: str) -> None:
    migrate(fresh_db)
    wednesday = date(2021, 1, 27)
    with psycopg2.connect(fresh_db) as conn, conn.cursor() as cur:
        _bar(cur, "GME", "1d", utc(wednesday, 14, 30), utc(wednesday, 21), 347.51)
        _bar(cur, "GME", "1d", utc(OLD_DAY, 14, 30), utc(OLD_DAY, 21), 193.6)
        _bar(cur, "GME", "30m", utc(OLD_DAY, 20, 30), utc(OLD_DAY, 21), 193.5)

        def last_close(at: datetime) -> tuple[Any, ...] | None:
            cur.execute("SELECT close, bar_size FROM tickerpulse.last_close('GME', %s)", (at,))
            return cur.fetchone()

        assert last_close(utc(OLD_DAY, 15)) == (347.51, "1d")  # not the close 6 hours later
        assert last_close(utc(OLD_DAY, 21)) == (193.5, "30m")  # a tie: the finest size
        assert last_close(utc(OLD_DAY, 21, 30)) == (193.5, "30m")
        assert last_close(utc(wednesday, 12)) is None
