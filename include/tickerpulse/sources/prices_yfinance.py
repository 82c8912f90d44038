"""Live bars from Yahoo Finance through yfinance: 30-minute bars where Yahoo has them (~60 days),
hourly bars (~730 days) and daily bars for any age.

yfinance swallows network failures: with Yahoo unreachable, `yf.download()` logs and returns an
empty (or partial) DataFrame, which would look exactly like "no trading in this interval". So the
source watches the chart requests that its own session sends, and a ticker missing from the
result while any chart request failed (no connection, timeout, 401/403/429, 5xx) raises
`PriceFetchError`. A ticker Yahoo answers 404 for, or with no bars (weekend, holiday), is simply
absent, as the PriceSource contract says.

`fetch()` is the richer call the prices package uses: it never raises for a single ticker, and
says per ticker what happened (bars, unknown to Yahoo, failed with a reason), plus the splits
Yahoo reported, so the cache can record each outcome instead of guessing. It also passes on what
the chart metadata says about each symbol's first trading day (`firstTradeDate`), which is how
ticker extraction learns that HOOD did not trade before 2021-07-29, and which tickers Yahoo
refused because the range is older than it keeps at that bar size (HTTP 422, "The requested range
must be within the last 60 days"): those are `too_old`, for the caller to ask a coarser size.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import requests
import yfinance as yf

from tickerpulse.config import load_settings
from tickerpulse.market_calendar import bar_ends
from tickerpulse.prices.result import FETCH_COLUMNS, FetchResult, empty_fetch_frame
from tickerpulse.sources.base import PRICE_COLUMNS, PriceFetchError

log = logging.getLogger(__name__)

CHART_PATH = "/v8/finance/chart/"
FAILED_STATUSES = frozenset({401, 403, 429})
INTERVALS = ("30m", "1h", "1d")
BAR_MINUTES = {"30m": 30, "1h": 60}
NEW_YORK = ZoneInfo("America/New_York")
TOO_OLD_STATUS = 422


class YFinancePriceSource:
    """One batched `yf.download()` per `bars()` call, in a single thread.

    yfinance keeps one process-wide session (a singleton) and a process-wide response cache, so
    two sources with different sessions in one process share state; the pipeline runs one
    prices task per process, which is what this is built for.
    """

    name = "yfinance"

    def __init__(
        self, session: Any | None = None, timeout: float = 10.0, adjusted_asof: date | None = None
    ) -> None:
        # A requests.Session, or a curl_cffi one (what yfinance prefers against the real Yahoo).
        self._session = session
        self.timeout = timeout
        self._adjusted_asof = adjusted_asof

    @property
    def adjusted_asof(self) -> date:
        """Yahoo adjusts every price for all splits up to the moment it answers: today."""
        return self._adjusted_asof or datetime.now(UTC).date()

    def bars(self, tickers: Sequence[str], start: datetime, end: datetime) -> pd.DataFrame:
        result = self.fetch(tickers, start, end, "30m")
        frame = result.frame[PRICE_COLUMNS]
        if result.failed:
            failed = "; ".join(f"{t}: {why}" for t, why in sorted(result.failed.items())[:3])
            raise PriceFetchError(
                f"no bars for {', '.join(sorted(result.failed))} and Yahoo failed: {failed}"
            )
        missing = sorted(result.unknown)
        if missing:
            log.info("no bars from Yahoo for %s in [%s, %s)", ", ".join(missing), start, end)
        return frame.reset_index(drop=True)

    def fetch(
        self, tickers: Sequence[str], start: datetime, end: datetime, interval: str = "30m"
    ) -> FetchResult:
        """One `yf.download()` for all `tickers` over `[start, end)` at `interval` (30m, 1h, 1d).

        Daily bars are placed at their session's open and end at its close (13:00 New York on an
        early close), from the exchange calendar, so every bar has the time its prices printed.
        """
        if interval not in INTERVALS:
            raise ValueError(f"interval must be one of {INTERVALS}, got {interval!r}")
        wanted = sorted({t.strip().upper() for t in tickers if t and t.strip()})
        if not wanted:
            return FetchResult(empty_fetch_frame())
        start, end = _utc(start), _utc(end)
        session = self._session if self._session is not None else _default_session()
        _forget_cached_responses()
        with _ChartWatch(session) as watch:
            raw = yf.download(
                wanted,
                start=start if interval != "1d" else start.date(),
                end=end if interval != "1d" else _day_after(end),
                interval=interval,
                group_by="ticker",
                auto_adjust=False,
                actions=True,
                threads=False,
                progress=False,
                session=session,
                timeout=self.timeout,
            )
        frame = _long_frame(raw, interval)
        frame = frame[(frame["bar_start"] >= start) & (frame["bar_start"] < end)]
        got = set(frame["ticker"])
        failed = {t: why for t, why in watch.failed.items() if t in wanted and t not in got}
        if watch.down and not got:  # nothing reached Yahoo: every ticker is unknown-state
            failed = {t: failed.get(t, watch.down) for t in wanted}
        unknown = {t for t in watch.not_found if t in wanted and t not in got} - set(failed)
        too_old = {t for t in watch.too_old if t in wanted and t not in got} - set(failed)
        return FetchResult(
            frame=frame.sort_values(["ticker", "bar_start"]).reset_index(drop=True),
            unknown=unknown - too_old,
            failed=failed,
            splits=_splits(raw, start, end),
            first_trade={t: d for t, d in watch.first_trade.items() if t in wanted},
            too_old=too_old,
        )


class _ChartWatch:
    """Record failed chart requests by wrapping `session.request` for the duration of a call.

    Both requests and curl_cffi route get()/post() through `request`, so this sees every call
    yfinance makes on the session, including the ones whose failure it hides.
    """

    def __init__(self, session: Any) -> None:
        self._session = session
        self.failures: list[str] = []
        self.failed: dict[str, str] = {}  # ticker -> reason
        self.not_found: set[str] = set()
        self.too_old: set[str] = set()  # Yahoo keeps no bars this old at this size (422)
        self.first_trade: dict[str, date] = {}  # chart metadata's firstTradeDate, New York day
        self.down = ""  # a connection-level failure, if any
        self._shadowed = vars(session).get("request")  # an instance attribute we must put back

    def __enter__(self) -> _ChartWatch:
        original = self._session.request

        def watched(method: str, url: str, *args: Any, **kwargs: Any) -> Any:
            is_chart = CHART_PATH in str(url)
            try:
                response = original(method, url, *args, **kwargs)
            except Exception as exc:
                if is_chart:
                    ticker = _ticker_of(url).upper()
                    self.failures.append(f"{ticker}: {type(exc).__name__}")
                    self.failed[ticker] = type(exc).__name__
                    self.down = f"Yahoo unreachable ({type(exc).__name__})"
                raise
            status = int(response.status_code)
            if is_chart:
                ticker = _ticker_of(url).upper()
                if status >= 500 or status in FAILED_STATUSES:
                    self.failures.append(f"{ticker}: HTTP {status}")
                    self.failed[ticker] = f"HTTP {status}"
                elif status == 404:
                    self.not_found.add(ticker)
                elif status == TOO_OLD_STATUS:
                    self.too_old.add(ticker)
                elif status == 200:
                    self._read_meta(ticker, response)
            return response

        self._session.request = watched
        return self

    def _read_meta(self, ticker: str, response: Any) -> None:
        """firstTradeDate from the chart metadata, when the answer carries one."""
        try:
            result = response.json()["chart"]["result"][0]
            stamp = result["meta"].get("firstTradeDate")
        except (ValueError, KeyError, IndexError, TypeError, AttributeError):
            return  # a cut-off or odd answer: yfinance decides what it means
        if isinstance(stamp, int | float) and not isinstance(stamp, bool):
            day = datetime.fromtimestamp(stamp, UTC).astimezone(NEW_YORK).date()
            self.first_trade[str(result["meta"].get("symbol") or ticker).upper()] = day

    def __exit__(self, *exc: object) -> None:
        if self._shadowed is None:
            del self._session.request  # the class's own method shows through again
        else:
            self._session.request = self._shadowed


def _long_frame(raw: pd.DataFrame | None, interval: str = "30m") -> pd.DataFrame:
    if raw is None or raw.empty or not isinstance(raw.columns, pd.MultiIndex):
        return empty_fetch_frame()
    parts = []
    for ticker in raw.columns.get_level_values(0).unique():
        one = raw[ticker].dropna(subset=["Close"])
        if one.empty:
            continue
        if interval == "1d":
            starts, ends = _session_times(pd.DatetimeIndex(one.index))
        else:
            index = pd.DatetimeIndex(one.index)
            index = index.tz_localize(UTC) if index.tz is None else index.tz_convert(UTC)
            starts, ends = index, bar_ends(index, BAR_MINUTES[interval])
        adj = one["Adj Close"] if interval == "1d" and "Adj Close" in one else None
        parts.append(
            pd.DataFrame(
                {
                    "ticker": str(ticker),
                    "bar_start": starts,
                    "open": one["Open"].to_numpy(dtype="float64"),
                    "high": one["High"].to_numpy(dtype="float64"),
                    "low": one["Low"].to_numpy(dtype="float64"),
                    "close": one["Close"].to_numpy(dtype="float64"),
                    "volume": one["Volume"].fillna(0).to_numpy(dtype="int64"),
                    "bar_end": ends,
                    "adj_close": (
                        adj.to_numpy(dtype="float64") if adj is not None else float("nan")
                    ),
                }
            )
        )
    if not parts:
        return empty_fetch_frame()
    return pd.concat(parts, ignore_index=True)[FETCH_COLUMNS]


def _session_times(index: pd.DatetimeIndex) -> tuple[pd.DatetimeIndex, pd.DatetimeIndex]:
    """Daily bars are labelled by date; place each at its session's open and close."""
    from tickerpulse.market_calendar import session_on

    opens, closes = [], []
    for stamp in index:
        session = session_on(stamp.date())
        if session is None:  # Yahoo had a bar on a day the calendar says is closed
            moment = pd.Timestamp(stamp.date(), tz="America/New_York").tz_convert(UTC)
            opens.append(moment)
            closes.append(moment)
        else:
            opens.append(pd.Timestamp(session.open))
            closes.append(pd.Timestamp(session.close))
    return pd.DatetimeIndex(opens).tz_convert(UTC), pd.DatetimeIndex(closes).tz_convert(UTC)


def _splits(
    raw: pd.DataFrame | None, start: datetime, end: datetime
) -> list[tuple[str, date, float]]:
    if raw is None or raw.empty or not isinstance(raw.columns, pd.MultiIndex):
        return []
    found = []
    for ticker in raw.columns.get_level_values(0).unique():
        if "Stock Splits" not in raw[ticker]:
            continue
        events = raw[ticker]["Stock Splits"].dropna()
        for stamp, ratio in events[events > 0].items():
            found.append((str(ticker), pd.Timestamp(stamp).date(), float(ratio)))
    return sorted(set(found))


def _day_after(moment: datetime) -> date:
    """yfinance's daily `end` is an exclusive date; include the day `moment` falls in if needed."""
    day = moment.astimezone(UTC).date()
    return (
        day
        if moment == datetime(day.year, day.month, day.day, tzinfo=UTC)
        else date.fromordinal(day.toordinal() + 1)
    )


def _default_session() -> Any:
    """What yfinance itself would use: curl_cffi with a browser fingerprint, unless disabled."""
    if not load_settings().yf_disable_curl_cffi:
        try:
            from curl_cffi import requests as curl_requests

            return curl_requests.Session(impersonate="chrome")
        except ImportError:
            pass
    return requests.Session()


def _forget_cached_responses() -> None:
    """yfinance memoises past-window chart responses per process, failed ones included."""
    cache_get = getattr(getattr(yf.data, "YfData", None), "cache_get", None)
    if cache_get is not None and hasattr(cache_get, "cache_clear"):
        cache_get.cache_clear()


def _ticker_of(url: str) -> str:
    return str(url).split(CHART_PATH, 1)[-1].split("?", 1)[0]


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
