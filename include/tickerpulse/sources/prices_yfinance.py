"""Live 30-minute bars from Yahoo Finance through yfinance.

yfinance swallows network failures: with Yahoo unreachable, `yf.download()` logs and returns an
empty (or partial) DataFrame, which would look exactly like "no trading in this interval". So the
source watches the chart requests that its own session sends, and a ticker missing from the
result while any chart request failed (no connection, timeout, 401/403/429, 5xx) raises
`PriceFetchError`. A ticker Yahoo answers 404 for, or with no bars (weekend, holiday), is simply
absent, as the PriceSource contract says.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import requests
import yfinance as yf

from tickerpulse.sources.base import PRICE_COLUMNS

log = logging.getLogger(__name__)

CHART_PATH = "/v8/finance/chart/"
FAILED_STATUSES = frozenset({401, 403, 429})


class PriceFetchError(RuntimeError):
    """Yahoo could not be asked: the missing bars are unknown, not absent."""


class YFinancePriceSource:
    """One batched `yf.download()` per `bars()` call, in a single thread.

    yfinance keeps one process-wide session (a singleton) and a process-wide response cache, so
    two sources with different sessions in one process share state; the pipeline runs one
    prices task per process, which is what this is built for.
    """

    name = "yfinance"

    def __init__(self, session: Any | None = None, timeout: float = 10.0) -> None:
        # A requests.Session, or a curl_cffi one (what yfinance prefers against the real Yahoo).
        self._session = session
        self.timeout = timeout

    def bars(self, tickers: Sequence[str], start: datetime, end: datetime) -> pd.DataFrame:
        wanted = sorted({t.strip().upper() for t in tickers if t and t.strip()})
        if not wanted:
            return _empty()
        start, end = _utc(start), _utc(end)
        session = self._session if self._session is not None else _default_session()
        _forget_cached_responses()
        with _ChartWatch(session) as watch:
            raw = yf.download(
                wanted,
                start=start,
                end=end,
                interval="30m",
                group_by="ticker",
                auto_adjust=False,
                threads=False,
                progress=False,
                session=session,
                timeout=self.timeout,
            )
        frame = _long_frame(raw)
        frame = frame[(frame["bar_start"] >= start) & (frame["bar_start"] < end)]
        missing = sorted(set(wanted) - set(frame["ticker"]))
        if missing and watch.failures:
            failed = "; ".join(watch.failures[:3])
            raise PriceFetchError(f"no bars for {', '.join(missing)} and Yahoo failed: {failed}")
        if missing:
            log.info("no bars from Yahoo for %s in [%s, %s)", ", ".join(missing), start, end)
        return frame.sort_values(["ticker", "bar_start"]).reset_index(drop=True)


class _ChartWatch:
    """Record failed chart requests by wrapping `session.request` for the duration of a call.

    Both requests and curl_cffi route get()/post() through `request`, so this sees every call
    yfinance makes on the session, including the ones whose failure it hides.
    """

    def __init__(self, session: Any) -> None:
        self._session = session
        self.failures: list[str] = []
        self._shadowed = vars(session).get("request")  # an instance attribute we must put back

    def __enter__(self) -> _ChartWatch:
        original = self._session.request

        def watched(method: str, url: str, *args: Any, **kwargs: Any) -> Any:
            is_chart = CHART_PATH in str(url)
            try:
                response = original(method, url, *args, **kwargs)
            except Exception as exc:
                if is_chart:
                    self.failures.append(f"{_ticker_of(url)}: {type(exc).__name__}")
                raise
            status = int(response.status_code)
            if is_chart and (status >= 500 or status in FAILED_STATUSES):
                self.failures.append(f"{_ticker_of(url)}: HTTP {status}")
            return response

        self._session.request = watched
        return self

    def __exit__(self, *exc: object) -> None:
        if self._shadowed is None:
            del self._session.request  # the class's own method shows through again
        else:
            self._session.request = self._shadowed


def _long_frame(raw: pd.DataFrame | None) -> pd.DataFrame:
    if raw is None or raw.empty or not isinstance(raw.columns, pd.MultiIndex):
        return _empty()
    parts = []
    for ticker in raw.columns.get_level_values(0).unique():
        one = raw[ticker].dropna(subset=["Close"])
        if one.empty:
            continue
        index = pd.DatetimeIndex(one.index)
        index = index.tz_localize(UTC) if index.tz is None else index.tz_convert(UTC)
        parts.append(
            pd.DataFrame(
                {
                    "ticker": str(ticker),
                    "bar_start": index,
                    "open": one["Open"].to_numpy(dtype="float64"),
                    "high": one["High"].to_numpy(dtype="float64"),
                    "low": one["Low"].to_numpy(dtype="float64"),
                    "close": one["Close"].to_numpy(dtype="float64"),
                    "volume": one["Volume"].fillna(0).to_numpy(dtype="int64"),
                }
            )
        )
    if not parts:
        return _empty()
    return pd.concat(parts, ignore_index=True)[PRICE_COLUMNS]


def _empty() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "ticker": pd.Series(dtype="object"),
            "bar_start": pd.Series(dtype="datetime64[ns, UTC]"),
            "open": pd.Series(dtype="float64"),
            "high": pd.Series(dtype="float64"),
            "low": pd.Series(dtype="float64"),
            "close": pd.Series(dtype="float64"),
            "volume": pd.Series(dtype="int64"),
        }
    )[PRICE_COLUMNS]


def _default_session() -> Any:
    """What yfinance itself would use: curl_cffi with a browser fingerprint, unless disabled."""
    if os.environ.get("YF_DISABLE_CURL_CFFI", "").lower() not in {"1", "true", "yes"}:
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
