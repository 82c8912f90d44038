"""The real-data check: Jan–Feb 2021 r/wallstreetbets comments and the daily prices of the time,
end to end into a fresh warehouse. The numbers are printed by benchmarks/real_data_check.py."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

import psycopg2
import pytest
from tools.real_data import CHECK_TICKERS, build_daily_price_files, run_check

from tests.conftest import shared_data

pytestmark = pytest.mark.slow


def _closes(path: Path) -> dict[str, float]:
    with path.open(newline="") as handle:
        return {r["Date"]: float(r["Close"]) for r in csv.DictReader(handle)}


def test_split_adjusted_downloads_are_put_on_one_basis(tmp_path: Path) -> None:
    prices = shared_data("stock_prices_daily")
    build_daily_price_files(prices, tmp_path)
    # GME from the Dec 2022 download, rescaled, agrees with the 2021 download where both exist.
    merged = _closes(tmp_path / "prices_daily" / "GME.csv")
    raw_2022 = _closes(prices / "sean-ta_CS4620-WSB" / "GME.csv")
    assert raw_2022["2021-01-28"] == pytest.approx(48.400002)
    assert merged["2021-01-28"] == pytest.approx(193.600006, rel=1e-6)
    nok = _closes(tmp_path / "prices_daily" / "NOK.csv")
    assert "2021-01-15" in nok
    assert "2021-02-26" in nok  # two files, one series
    assert "2021-01-16" not in _closes(tmp_path / "prices_daily" / "AMC.csv")  # no weekend rows


def test_real_comments_and_prices_fill_the_analysis_tables(fresh_db: str, tmp_path: Path) -> None:
    comments = shared_data("wsb_pushshift_esbenkc", "wsb_io.csv")
    prices = shared_data("stock_prices_daily")

    result = run_check(fresh_db, comments, prices, tmp_path)

    assert result["loaded"]["posts"] == 2100
    assert result["rerun_calls"] == 0  # the second analysis found every bar in the cache
    assert {row[0] for row in result["hit_rates"]} == set(CHECK_TICKERS)
    by_key = {(r[0], r[1], r[2]): r for r in result["correlations"]}
    for ticker in CHECK_TICKERS:
        assert by_key[(ticker, "1d", "weighted_mean")][3] >= 3  # n
        assert by_key[(ticker, "1d", "mentions")][3] >= 10
    assert by_key[("GME", "1d", "weighted_mean")][4] is not None
    with psycopg2.connect(fresh_db) as conn, conn.cursor() as cur:
        # A Saturday comment enters at Tuesday's open: Monday Jan 18 was a market holiday.
        cur.execute(
            "SELECT entry_time, entry_price, price_asof FROM tickerpulse.mention_prices"
            " WHERE ticker = 'GME' AND created_utc < '2021-01-17' ORDER BY created_utc LIMIT 1"
        )
        entry_time, entry_price, asof = cur.fetchone()
        cur.execute("SELECT count(*) FROM tickerpulse.mention_prices WHERE NOT complete")
        assert cur.fetchone() == (0,)
    assert entry_time == datetime(2021, 1, 19, 14, 30, tzinfo=UTC)
    assert entry_price == pytest.approx(41.549999)  # GME's open on 2021-01-19
    assert asof == pytest.approx(35.5)  # Friday's close: what the reader saw
