"""Real yfinance parsing against a loopback server that speaks Yahoo's chart protocol."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pytest
import requests

from tests.servers import free_port
from tests.servers.yahoo_server import YahooServer, regular_session_bars
from tickerpulse.sources.base import PRICE_COLUMNS
from tickerpulse.sources.prices_yfinance import PriceFetchError, YFinancePriceSource

DAY = date(2026, 11, 23)  # a Monday; New York is on EST (UTC-5)
START = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # 10:00 in New York
END = START + timedelta(minutes=90)

# yfinance 1.7 uses pandas' deprecated inplace= arguments; that is its business, not ours.
pytestmark = [
    pytest.mark.filterwarnings("ignore:The inplace keyword"),
    pytest.mark.usefixtures("isolated_yfinance_cache"),
]


@pytest.fixture
def yahoo() -> Iterator[YahooServer]:
    bars = {
        "AAPL": regular_session_bars(DAY, 200.0),
        "MSFT": regular_session_bars(DAY, 400.0, step=-0.2),
    }
    with YahooServer(bars) as server:
        yield server


def test_bars_are_30_minute_utc_rows_from_15_minute_yahoo_data(yahoo: YahooServer) -> None:
    frame = YFinancePriceSource(session=yahoo.session()).bars(["AAPL", "msft"], START, END)

    assert list(frame.columns) == PRICE_COLUMNS
    assert str(frame["bar_start"].dt.tz) == "UTC"
    aapl = frame[frame["ticker"] == "AAPL"]
    assert list(aapl["bar_start"]) == [
        pd.Timestamp("2026-11-23 15:00", tz="UTC"),
        pd.Timestamp("2026-11-23 15:30", tz="UTC"),
        pd.Timestamp("2026-11-23 16:00", tz="UTC"),
    ]
    # 10:00 ET is the 3rd 15-minute bar (200.0, 200.1, 200.2 ...): two merge into one 30m bar
    first = aapl.iloc[0]
    assert first["open"] == pytest.approx(200.2)
    assert first["close"] == pytest.approx(200.4)
    assert first["high"] == pytest.approx(200.3 + 0.5)
    assert first["low"] == pytest.approx(200.2 - 0.5)
    assert first["volume"] == 2000
    assert sorted(frame["ticker"].unique()) == ["AAPL", "MSFT"]
    assert len(frame) == 6


def test_one_chart_request_per_ticker_for_the_window(yahoo: YahooServer) -> None:
    YFinancePriceSource(session=yahoo.session()).bars(["AAPL", "MSFT"], START, END)

    windowed = [r for r in yahoo.chart_requests() if r.param("period1") is not None]
    assert sorted(r.path for r in windowed) == [
        "/v8/finance/chart/AAPL",
        "/v8/finance/chart/MSFT",
    ]
    for request in windowed:
        assert request.param("interval") == "15m"  # yfinance's 30m workaround
        assert int(request.param("period1") or 0) == int(START.timestamp())
        assert int(request.param("period2") or 0) == int(END.timestamp())


def test_unknown_ticker_is_absent_not_an_error(yahoo: YahooServer) -> None:
    frame = YFinancePriceSource(session=yahoo.session()).bars(["AAPL", "NOPE"], START, END)

    assert set(frame["ticker"]) == {"AAPL"}
    assert any(r.path.endswith("/NOPE") for r in yahoo.chart_requests())


def test_every_ticker_unknown_gives_an_empty_frame(yahoo: YahooServer) -> None:
    frame = YFinancePriceSource(session=yahoo.session()).bars(["NOPE", "NADA"], START, END)

    assert frame.empty
    assert list(frame.columns) == PRICE_COLUMNS


def test_a_closed_market_gives_an_empty_frame(yahoo: YahooServer) -> None:
    saturday = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)
    frame = YFinancePriceSource(session=yahoo.session()).bars(
        ["AAPL"], saturday, saturday + timedelta(hours=1)
    )
    assert frame.empty


def test_server_down_raises_instead_of_returning_nothing(yahoo: YahooServer) -> None:
    session = yahoo.session()
    port = free_port()
    for adapter in session.adapters.values():
        adapter._port = port  # type: ignore[attr-defined]  # point at a port nobody listens on

    with pytest.raises(PriceFetchError, match="AAPL"):
        YFinancePriceSource(session=session, timeout=2).bars(["AAPL", "MSFT"], START, END)


def test_a_failing_ticker_raises_even_when_others_come_back(yahoo: YahooServer) -> None:
    yahoo.fail_tickers.add("MSFT")

    with pytest.raises(PriceFetchError, match="MSFT: HTTP 500"):
        YFinancePriceSource(session=yahoo.session()).bars(["AAPL", "MSFT"], START, END)


def test_the_session_is_left_as_it_was(yahoo: YahooServer) -> None:
    session = yahoo.session()
    YFinancePriceSource(session=session).bars(["AAPL"], START, END)

    assert "request" not in vars(session)
    assert session.request.__func__ is requests.Session.request  # type: ignore[attr-defined]


def test_no_tickers_no_requests(yahoo: YahooServer) -> None:
    frame = YFinancePriceSource(session=yahoo.session()).bars([], START, END)

    assert frame.empty
    assert yahoo.requests == []
