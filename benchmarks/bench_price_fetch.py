"""Price fetch calls for 200 tickers over one day of 30-minute intervals, through the local Yahoo
chart server (real yfinance parsing), against one call per ticker per interval.

    .venv/bin/python benchmarks/bench_price_fetch.py [DSN]

Each interval asks the cache for the 200 tickers over `[start - 4 days, end)`, as the prices stage
does. The planner fetches only what is missing, in batches of 100 tickers that share a span, and
nothing at all while the market is closed; a re-run of the whole day makes no call.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

os.environ.setdefault("YF_DISABLE_CURL_CFFI", "1")
os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg2  # noqa: E402
import yfinance as yf  # noqa: E402
from tests.servers.yahoo_server import YahooServer, regular_session_bars  # noqa: E402

from tickerpulse.market_calendar import sessions_between  # noqa: E402
from tickerpulse.prices.fetch import RetryPolicy  # noqa: E402
from tickerpulse.prices.store import refresh_bars  # noqa: E402
from tickerpulse.sources.prices_yfinance import YFinancePriceSource  # noqa: E402
from tickerpulse.warehouse.migrate import migrate  # noqa: E402

TICKERS = [f"T{i:03d}" for i in range(200)]
DAY = datetime(2026, 11, 23, tzinfo=UTC)  # a Monday
LOOKBACK = timedelta(days=4)


def _day(source: YFinancePriceSource, dsn: str) -> tuple[int, int, float]:
    calls = bars = 0
    began = time.perf_counter()
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    with conn.cursor() as cur:
        for i in range(48):
            start = DAY + timedelta(minutes=30 * i)
            end = start + timedelta(minutes=30)
            report = refresh_bars(cur, source, TICKERS, start - LOOKBACK, end, retry=RetryPolicy())
            calls += report.calls
            bars += report.bars
    conn.close()
    return calls, bars, time.perf_counter() - began


def main(argv: list[str]) -> int:
    work = Path(tempfile.mkdtemp(prefix="tp-bench-prices-"))
    yf.set_tz_cache_location(str(work / "yf-cache"))
    if len(argv) > 1:
        dsn = argv[1]
    else:
        from tickerpulse.warehouse.embedded import embedded_dsn

        dsn = embedded_dsn(work / "pgdata")
    migrate(dsn)
    days = [s.day for s in sessions_between(DAY - LOOKBACK, DAY + timedelta(days=1))]
    bars = {
        t: [b for d in days for b in regular_session_bars(d, 10.0 + i)]
        for i, t in enumerate(TICKERS)
    }
    with YahooServer(bars) as server:
        source = YFinancePriceSource(session=server.session(), adjusted_asof=date(2026, 11, 23))
        calls, stored, seconds = _day(source, dsn)
        chart_requests = len(server.chart_requests())
        again, _, again_seconds = _day(source, dsn)
    baseline = len(TICKERS) * 48
    print(f"200 tickers x 48 intervals of {DAY:%Y-%m-%d}, {len(days)} sessions in reach")
    print(f"baseline (one call per ticker per interval): {baseline} calls")
    print(
        f"cache planner:  {calls} yfinance calls ({chart_requests} chart requests), "
        f"{stored} bars, {seconds:.1f}s  -> {baseline / max(calls, 1):.0f}x fewer calls"
    )
    print(f"re-run of the day: {again} calls, {again_seconds:.1f}s")
    return 0 if again == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
