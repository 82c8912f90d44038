"""The serving layer under the dashboards (sql/004_serving.sql): the daily rollup and
ticker_totals must give the numbers summing the 30-minute rows would, for any range, or the
long-range panels would disagree with the short-range ones."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg2
import pytest

from tickerpulse.warehouse.migrate import migrate
from tickerpulse.warehouse.queries import query

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks.seed_serving import seed  # noqa: E402

END = datetime(2024, 3, 10, 0, 0, tzinfo=UTC)
NAIVE = """
SELECT ticker, sum(mentions), sum(weighted_mean * scored) / nullif(sum(scored), 0)
FROM tickerpulse.sentiment_30m WHERE bucket_start BETWEEN %(start)s AND %(end)s
GROUP BY ticker ORDER BY ticker
"""
TOTALS = """
SELECT ticker, mentions, weighted_mean FROM tickerpulse.ticker_totals(%(start)s, %(end)s)
ORDER BY ticker
"""


@pytest.fixture
def warehouse(fresh_db: str) -> str:
    migrate(fresh_db)
    seed(fresh_db, end=END, days=9, tickers=4, posts_per_ticker_day=1)
    return fresh_db


RANGES = [
    (END - timedelta(hours=5), END - timedelta(hours=1)),  # within one day
    (END - timedelta(hours=30, minutes=7), END - timedelta(hours=2)),  # across midnight
    (END - timedelta(days=3), END),  # whole days, ends on midnight
    (END - timedelta(days=7, hours=3, minutes=12), END - timedelta(minutes=7)),  # "last 7 days"
    (END - timedelta(days=90), END + timedelta(days=1)),  # more than all the data
]


def test_ticker_totals_equal_summing_the_30_minute_rows(warehouse: str) -> None:
    conn = psycopg2.connect(warehouse)
    try:
        with conn.cursor() as cur:
            for start, end in RANGES:
                cur.execute(NAIVE, {"start": start, "end": end})
                naive = cur.fetchall()
                cur.execute(TOTALS, {"start": start, "end": end})
                totals = cur.fetchall()
                assert [r[:2] for r in totals] == [r[:2] for r in naive], (start, end)
                for (_, _, a), (_, _, b) in zip(totals, naive, strict=True):
                    assert a == pytest.approx(b, abs=1e-5), (start, end)
    finally:
        conn.close()


def test_the_aggregate_query_rebuilds_the_day_of_its_bucket(warehouse: str) -> None:
    bucket = END - timedelta(hours=3)
    day = datetime(2024, 3, 9, tzinfo=UTC)
    conn = psycopg2.connect(warehouse)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(
                "SELECT mentions FROM tickerpulse.sentiment_1d WHERE ticker = 'T001'"
                " AND day_start = %s",
                (day,),
            )
            (before,) = cur.fetchone()
            cur.execute(
                "UPDATE tickerpulse.sentiment_30m SET mentions = mentions + 1000"
                " WHERE ticker = 'T001' AND bucket_start = %s",
                (bucket,),
            )
            cur.execute(query("aggregate_daily"), {"bucket_start": bucket})
            cur.execute(
                "SELECT mentions, tier, buckets FROM tickerpulse.sentiment_1d"
                " WHERE ticker = 'T001' AND day_start = %s",
                (day,),
            )
            after, tier, buckets = cur.fetchone()
    finally:
        conn.close()
    assert after == before + 1000
    assert buckets == 48
    assert tier in {
        "strong_bearish",
        "bearish",
        "neutral",
        "bullish",
        "strong_bullish",
    }
