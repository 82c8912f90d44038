"""Seed a warehouse with synthetic serving data: a year of dense 30-minute rollups for 500 tickers
by default (about 8.7 million rows), plus prices, posts, runs and analysis rows.

Shared by the serving benchmark (big) and the panel tests (tiny), so every panel is measured and
checked on the same shape of data. The SQL is in seed_serving.sql; generate_series does the work
inside the server, which is what makes millions of rows take a minute rather than an hour.

    python benchmarks/seed_serving.py DSN [--days 365 --tickers 500 --posts-per-ticker-day 4]
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg2

SEED_SQL = Path(__file__).with_name("seed_serving.sql")
SEED_EVAL_SQL = Path(__file__).with_name("seed_eval_runs.sql")
SEED_COVERAGE_SQL = Path(__file__).with_name("seed_coverage.sql")
SEED_SIGNALS_SQL = Path(__file__).with_name("seed_signals.sql")


def aligned_now() -> datetime:
    """The start of the current 30-minute bucket: the seed ends where a live pipeline would."""
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    return now - timedelta(minutes=now.minute % 30)


def seed(
    dsn: str,
    *,
    end: datetime | None = None,
    days: int = 365,
    tickers: int = 500,
    posts_per_ticker_day: int = 4,
) -> datetime:
    """Fill an already migrated, empty warehouse; return the (exclusive) end of the data."""
    end = end or aligned_now()
    params = {
        "end": end,
        "days": days,
        "tickers": tickers,
        "posts_per_ticker_day": posts_per_ticker_day,
    }
    conn = psycopg2.connect(dsn)
    try:
        with conn, conn.cursor() as cur:
            cur.execute("SET LOCAL synchronous_commit = off")
            cur.execute(SEED_SQL.read_text(encoding="utf-8"), params)
            cur.execute(SEED_SIGNALS_SQL.read_text(encoding="utf-8"), params)
            cur.execute("SELECT to_regclass('tickerpulse.eval_runs') IS NOT NULL")
            if cur.fetchone()[0]:
                cur.execute(SEED_EVAL_SQL.read_text(encoding="utf-8"), params)
            cur.execute("SELECT to_regclass('tickerpulse.interval_coverage') IS NOT NULL")
            if cur.fetchone()[0]:
                cur.execute(SEED_COVERAGE_SQL.read_text(encoding="utf-8"), params)
        conn.autocommit = True
        with conn.cursor() as cur:
            # Fresh statistics and a visibility map, as autovacuum would give a live warehouse;
            # without them the index-only scans the panels rely on visit the heap.
            cur.execute("VACUUM (ANALYZE)")
    finally:
        conn.close()
    return end


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dsn", help="a migrated, empty warehouse")
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--tickers", type=int, default=500)
    parser.add_argument("--posts-per-ticker-day", type=int, default=4)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    end = seed(
        args.dsn,
        days=args.days,
        tickers=args.tickers,
        posts_per_ticker_day=args.posts_per_ticker_day,
    )
    print(f"seeded up to {end.isoformat()} in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
