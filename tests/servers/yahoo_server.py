"""A loopback server that speaks Yahoo Finance's chart protocol as yfinance 1.7 uses it.

yfinance hard-codes `https://*.yahoo.com` URLs, so tests reach this server through the
`requests.Session` from `YahooServer.session()`, whose adapter rewrites any `*.yahoo.com` URL to
the server and tells it, in `X-Yahoo-Host`, which host was meant. The server answers:
- `fc.yahoo.com/` with a 404 that sets the `A3` cookie (as the real one does);
- `/v1/test/getcrumb` with a crumb when the cookie is present;
- `/v8/finance/chart/<TICKER>` with the real JSON shape: `chart.result[0]` with `meta`
  (exchange time zone, trading periods), `timestamp`, `indicators.quote[0]` and, for daily
  bars, `indicators.adjclose`; 404 with Yahoo's error JSON for unknown tickers;
- quoteSummary / v7 quote / fundamentals timeseries, which yfinance tries for a ticker with no
  time zone, with Yahoo's answers for an unknown symbol;
- anything else (consent pages) with a plain 404.
It is fed 15-minute bars, the granularity yfinance asks for when the caller wants 30 minutes, and
optionally daily bars (`daily=`, labelled by their New York date) with splits (`splits=`), which
go out as `events.splits` as Yahoo sends them. Hourly bars (`interval=1h`) are made from the
15-minute ones as Yahoo makes them: from the open on the half hour (9:30, 10:30, ... 15:30 New
York, the last one half an hour long). Per age, it serves what Yahoo serves when given `now=`:
15-minute bars for a range starting within the last 60 days, hourly bars within 730 days, daily
bars for any range; older intraday requests get Yahoo's 422 ("15m data not available for
startTime=... The requested range must be within the last 60 days."). Without `now` it serves
every bar it has, at any age. `meta.firstTradeDate` is the symbol's first trading day when given
in `first_trade=` (Yahoo stamps it at the first session's open), else a fixed 1980 date.
Failure modes a test can switch on:
- `fail_tickers`: every chart request for the ticker gets a 500;
- `fail_first`: {ticker: n} the first n chart requests get a 500, later ones succeed;
- `empty_tickers`: a 200 with no bars (what a throttled or stale Yahoo answer looks like);
- an unknown ticker (not in `bars`/`daily`): a 404 "symbol may be delisted".
Random faults (`set_chaos(rate, kinds, seed)`, kinds from `ALL_FAULT_KINDS`) act on chart
requests only, the calls that carry data (the cookie and crumb handshake is left alone):
- `http_429`: Yahoo's plain-text "Too Many Requests", which yfinance raises as a rate limit;
- `http_500` / `http_503`: a server error with Yahoo's error JSON;
- `timeout`: the right answer, but only after `chaos_delay` seconds, longer than the read timeout
  of `session(read_timeout=...)`, so the client gives up as it would on a hung connection;
- `empty`: a 200 with no bars (Yahoo's throttled or stale answer);
- `malformed`: a 200 whose JSON is cut off mid-body.
The last two are indistinguishable, for yfinance, from a genuine "no trades" answer (it swallows
the parse error), which is why `TRANSPORT_FAULT_KINDS` lists the others apart.
"""

from __future__ import annotations

import time as clock
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

import requests
from requests.adapters import HTTPAdapter

from tests.servers import LoopbackServer, RecordedRequest, Reply

NEW_YORK = ZoneInfo("America/New_York")
CRUMB = "tEsTcRuMb"
COOKIE = "A3=d=AQABBtest&S=AQAAAtest"
SESSION_OPEN, SESSION_CLOSE = time(9, 30), time(16, 0)
VALID_RANGES = ["1d", "5d", "1mo", "3mo", "6mo", "1y", "2y", "5y", "10y", "ytd", "max"]
# How far back Yahoo keeps bars of an intraday interval, in days.
REACH_DAYS = {"15m": 60, "30m": 60, "1h": 730, "60m": 730}
DEFAULT_FIRST_TRADE = 345479400  # what the server said before firstTradeDate was configurable
NOT_FOUND = {
    "chart": {
        "result": None,
        "error": {"code": "Not Found", "description": "No data found, symbol may be delisted"},
    }
}


@dataclass(frozen=True)
class Bar:
    start: datetime  # tz-aware
    open: float
    high: float
    low: float
    close: float
    volume: int
    adj_close: float | None = None  # daily bars: Yahoo's dividend-adjusted close


def daily_bar(day: date, open_: float, close: float, volume: int = 1_000_000) -> Bar:
    """A daily bar as Yahoo labels it: midnight New York of the session's date."""
    hi, lo = max(open_, close) + 1, min(open_, close) - 1
    return Bar(datetime.combine(day, time(0, 0), NEW_YORK), open_, hi, lo, close, volume)


def regular_session_bars(day: date, first_price: float, step: float = 0.1) -> list[Bar]:
    """15-minute bars over one NYSE regular session, the price rising by `step` a bar."""
    bars = []
    moment = datetime.combine(day, SESSION_OPEN, NEW_YORK)
    price = first_price
    while moment.time() < SESSION_CLOSE:
        bars.append(Bar(moment, price, price + 0.5, price - 0.5, price + step, 1000))
        moment += timedelta(minutes=15)
        price = round(price + step, 4)
    return bars


# Random fault kinds (see the module docstring).
HTTP_429, HTTP_500, HTTP_503, TIMEOUT = "http_429", "http_500", "http_503", "timeout"
EMPTY, MALFORMED = "empty", "malformed"
TRANSPORT_FAULT_KINDS = (HTTP_429, HTTP_500, HTTP_503, TIMEOUT)
ALL_FAULT_KINDS = (*TRANSPORT_FAULT_KINDS, EMPTY, MALFORMED)
SERVER_ERROR = b'{"finance":{"error":{"code":"Internal Server Error","description":""}}}'


class YahooServer(LoopbackServer):
    def __init__(
        self,
        bars: Mapping[str, Sequence[Bar]],
        daily: Mapping[str, Sequence[Bar]] | None = None,
        splits: Mapping[str, Sequence[tuple[date, int, int]]] | None = None,
        now: datetime | None = None,
        first_trade: Mapping[str, date] | None = None,
    ) -> None:
        super().__init__()
        self.now = now  # the moment Yahoo's per-age reach is measured from; None: no limit
        self.first_trade = {t.upper(): d for t, d in (first_trade or {}).items()}
        self.bars = {
            ticker.upper(): sorted(rows, key=lambda b: b.start) for ticker, rows in bars.items()
        }
        self.daily = {
            ticker.upper(): sorted(rows, key=lambda b: b.start)
            for ticker, rows in (daily or {}).items()
        }
        for ticker in self.daily:
            self.bars.setdefault(ticker, [])
        self.splits = {t.upper(): list(v) for t, v in (splits or {}).items()}
        self.fail_tickers: set[str] = set()  # chart requests for these get a 500
        self.fail_first: dict[str, int] = {}  # the first n chart requests for these get a 500
        self.empty_tickers: set[str] = set()  # a 200 with no bars
        self.chaos_delay = 1.5  # seconds a `timeout` fault holds the answer back

    def session(self, read_timeout: float | None = None) -> requests.Session:
        """A requests.Session that sends every *.yahoo.com request here.

        `read_timeout` caps the timeout yfinance asks for (10 s in the pipeline), so a `timeout`
        fault costs a soak about a second instead of ten.
        """
        session = requests.Session()
        adapter = _RedirectYahoo(self.port, read_timeout)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        return session

    def chart_requests(self) -> list[RecordedRequest]:
        return self.requests_to("/v8/finance/chart/")

    def handle(self, request: RecordedRequest) -> Reply:
        host = request.headers.get("x-yahoo-host", "")
        if host == "fc.yahoo.com":
            return Reply(
                status=404,
                body=b"<html>Not Found</html>",
                headers={
                    "Content-Type": "text/html",
                    "Set-Cookie": f"{COOKIE}; Expires=Wed, 01 Jan 2031 00:00:00 GMT; "
                    "Path=/; Domain=.yahoo.com; Secure; HttpOnly; SameSite=None",
                },
            )
        if request.path == "/v1/test/getcrumb":
            if "A3=" not in request.headers.get("cookie", ""):
                return Reply(status=403, body=b"", headers={"Content-Type": "text/plain"})
            return Reply(body=CRUMB.encode(), headers={"Content-Type": "text/plain"})
        if request.path.startswith("/v8/finance/chart/"):
            return self._chart(request, request.path.rsplit("/", 1)[-1].upper())
        # What yfinance asks when a ticker has no time zone: answered as Yahoo does for unknowns.
        if request.path.startswith("/v10/finance/quoteSummary/"):
            symbol = request.path.rsplit("/", 1)[-1]
            error = {"code": "Not Found", "description": f"Quote not found for symbol: {symbol}"}
            return Reply.json({"quoteSummary": {"result": None, "error": error}}, status=404)
        if request.path == "/v7/finance/quote":
            return Reply.json({"quoteResponse": {"result": [], "error": None}})
        if "/finance/timeseries/" in request.path:
            return Reply.json({"timeseries": {"result": [], "error": None}})
        return Reply(
            status=404, body=b"<html>Not Found</html>", headers={"Content-Type": "text/html"}
        )

    def _chart(self, request: RecordedRequest, ticker: str) -> Reply:
        fault = self.chaos_kind()
        if fault == HTTP_429:
            return Reply(
                status=429, body=b"Edge: Too Many Requests", headers={"Content-Type": "text/plain"}
            )
        if fault in (HTTP_500, HTTP_503):
            return Reply(
                status=int(fault.removeprefix("http_")),
                body=SERVER_ERROR,
                headers={"Content-Type": "application/json;charset=utf-8"},
            )
        if fault == TIMEOUT:
            clock.sleep(self.chaos_delay)
        reply = self._chart_answer(request, ticker, empty=fault == EMPTY)
        if fault == MALFORMED and reply.status == 200:
            reply.body = reply.body[: len(reply.body) // 2]
        return reply

    def _chart_answer(self, request: RecordedRequest, ticker: str, empty: bool = False) -> Reply:
        if self.fail_first.get(ticker, 0) > 0:
            self.fail_first[ticker] -= 1
            return Reply(status=500, body=b'{"finance":{"error":{"code":"Internal Server Error"}}}')
        if ticker in self.fail_tickers:
            return Reply(status=500, body=b'{"finance":{"error":{"code":"Internal Server Error"}}}')
        if ticker not in self.bars:
            return Reply.json(NOT_FOUND, status=404)
        interval = request.param("interval") or "1d"
        now = datetime.now(UTC)
        if request.param("period1") is not None:
            lo = datetime.fromtimestamp(int(request.param("period1") or 0), UTC)
            hi = datetime.fromtimestamp(int(request.param("period2") or 0), UTC)
        else:  # range=1d: yfinance's time-zone probe
            lo, hi = now - timedelta(days=1), now
        reach = REACH_DAYS.get(interval)
        if self.now is not None and reach is not None and lo < self.now - timedelta(days=reach):
            return Reply.json(
                {
                    "chart": {
                        "result": None,
                        "error": {
                            "code": "Unprocessable Entity",
                            "description": f"{interval} data not available for startTime="
                            f"{int(lo.timestamp())} and endTime={int(hi.timestamp())}. The "
                            f"requested range must be within the last {reach} days.",
                        },
                    }
                },
                status=422,
            )
        if interval == "15m":
            rows = self.bars[ticker]
        elif interval in ("1h", "60m"):
            rows = hourly_bars(self.bars[ticker])
        elif interval == "1d":
            rows = self.daily.get(ticker, [])
        else:
            rows = []
        empty = empty or ticker in self.empty_tickers
        rows = [b for b in rows if lo <= b.start < hi and not empty]
        result: dict[str, Any] = {
            "meta": self._meta(ticker, interval, lo, hi, rows, now),
            "indicators": {"quote": [{}]},
        }
        if rows:
            result["timestamp"] = [int(b.start.timestamp()) for b in rows]
            result["indicators"]["quote"] = [
                {
                    "open": [b.open for b in rows],
                    "high": [b.high for b in rows],
                    "low": [b.low for b in rows],
                    "close": [b.close for b in rows],
                    "volume": [b.volume for b in rows],
                }
            ]
            if not interval.endswith(("m", "h")):
                result["indicators"]["adjclose"] = [
                    {"adjclose": [b.close if b.adj_close is None else b.adj_close for b in rows]}
                ]
            splits = {}
            for day, numerator, denominator in self.splits.get(ticker, []):
                moment = datetime.combine(day, SESSION_OPEN, NEW_YORK)
                if lo <= moment < hi:
                    stamp = int(moment.timestamp())
                    splits[str(stamp)] = {
                        "date": stamp,
                        "numerator": numerator,
                        "denominator": denominator,
                        "splitRatio": f"{numerator}:{denominator}",
                    }
            if splits:
                result["events"] = {"splits": splits}
        return Reply.json({"chart": {"result": [result], "error": None}})

    def _meta(
        self,
        ticker: str,
        interval: str,
        lo: datetime,
        hi: datetime,
        rows: list[Bar],
        now: datetime,
    ) -> dict[str, Any]:
        series = self.bars[ticker] or self.daily.get(ticker, [])
        last = series[-1] if series else None
        offset = int((now.astimezone(NEW_YORK).utcoffset() or timedelta()).total_seconds())
        meta: dict[str, Any] = {
            "currency": "USD",
            "symbol": ticker,
            "exchangeName": "NMS",
            "fullExchangeName": "NasdaqGS",
            "instrumentType": "EQUITY",
            "firstTradeDate": self._first_trade(ticker),
            "regularMarketTime": int(last.start.timestamp()) if last else int(now.timestamp()),
            "hasPrePostMarketData": True,
            "gmtoffset": offset,
            "timezone": now.astimezone(NEW_YORK).tzname(),
            "exchangeTimezoneName": "America/New_York",
            "regularMarketPrice": last.close if last else None,
            "chartPreviousClose": rows[0].open if rows else None,
            "priceHint": 2,
            "currentTradingPeriod": {
                name: _period(now.astimezone(NEW_YORK).date(), start, end)
                for name, start, end in (
                    ("pre", time(4, 0), SESSION_OPEN),
                    ("regular", SESSION_OPEN, SESSION_CLOSE),
                    ("post", SESSION_CLOSE, time(20, 0)),
                )
            },
            "dataGranularity": interval,
            "range": "",
            "validRanges": VALID_RANGES,
        }
        if interval.endswith(("m", "h")):
            day, last_day = lo.astimezone(NEW_YORK).date(), hi.astimezone(NEW_YORK).date()
            periods = []
            while day <= last_day:
                if day.weekday() < 5:
                    periods.append([_period(day, SESSION_OPEN, SESSION_CLOSE)])
                day += timedelta(days=1)
            meta["tradingPeriods"] = periods
        return meta

    def _first_trade(self, ticker: str) -> int:
        day = self.first_trade.get(ticker)
        if day is None:
            return DEFAULT_FIRST_TRADE
        return int(datetime.combine(day, SESSION_OPEN, NEW_YORK).timestamp())


def hourly_bars(bars: Sequence[Bar]) -> list[Bar]:
    """Yahoo's hourly bars from 15-minute ones: hours from the open, 9:30, 10:30, ... 15:30."""
    groups: dict[datetime, list[Bar]] = {}
    for bar in bars:
        local = bar.start.astimezone(NEW_YORK)
        open_ = datetime.combine(local.date(), SESSION_OPEN, NEW_YORK)
        hours = int((local - open_).total_seconds() // 3600)
        groups.setdefault(open_ + timedelta(hours=hours), []).append(bar)
    return [
        Bar(
            start,
            group[0].open,
            max(b.high for b in group),
            min(b.low for b in group),
            group[-1].close,
            sum(b.volume for b in group),
        )
        for start, group in sorted(groups.items())
    ]


def _period(day: date, start: time, end: time) -> dict[str, Any]:
    begin = datetime.combine(day, start, NEW_YORK)
    offset = int((begin.utcoffset() or timedelta()).total_seconds())
    return {
        "timezone": begin.tzname(),
        "start": int(begin.timestamp()),
        "end": int(datetime.combine(day, end, NEW_YORK).timestamp()),
        "gmtoffset": offset,
    }


class _RedirectYahoo(HTTPAdapter):
    """Send *.yahoo.com requests to the loopback server, over plain HTTP."""

    def __init__(self, port: int, read_timeout: float | None = None) -> None:
        super().__init__()
        self._port = port
        self._read_timeout = read_timeout

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        parts = urlsplit(request.url or "")
        host = parts.hostname or ""
        if not (host == "yahoo.com" or host.endswith(".yahoo.com")):
            raise requests.ConnectionError(f"test session refuses non-Yahoo URL {request.url}")
        local = request.copy()
        local.url = urlunsplit(
            ("http", f"127.0.0.1:{self._port}", parts.path or "/", parts.query, "")
        )
        local.headers["X-Yahoo-Host"] = host
        if self._read_timeout is not None:
            asked = kwargs.get("timeout")
            kwargs["timeout"] = (
                self._read_timeout if asked is None else min(float(asked), self._read_timeout)
            )
        response = super().send(local, **kwargs)
        response.url = request.url or ""
        response.request = request
        return response
