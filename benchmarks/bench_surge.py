"""What the surge / options query adds to the aggregate task, on a dense 29-day history.

Seeds a throwaway warehouse with benchmarks/seed_serving (every ticker in every 30-minute bucket,
so every baseline is as long as it gets), then times, for the latest bucket, the aggregate task's
existing queries (aggregate_interval, aggregate_rolling_24h, aggregate_daily: the baseline) and
aggregate_signals.sql on top, twice: with the same-hour-of-week baseline (the steady state, 8
samples per ticker) and forced onto the all-hours baseline (up to 1,344 samples per ticker, what
a ticker in its first weeks costs). Prints medians and ratios against the baseline.

    .venv/bin/python benchmarks/bench_surge.py [--tickers 300] [--days 29] [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

import psycopg2

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.seed_serving import aligned_now, seed  # noqa: E402
from tests.conftest import new_database  # noqa: E402

from tickerpulse import surge  # noqa: E402
from tickerpulse.aggregation import AggregationConfig  # noqa: E402
from tickerpulse.config import load_settings  # noqa: E402
from tickerpulse.warehouse.embedded import embedded_dsn, local_admin_dsn  # noqa: E402
from tickerpulse.warehouse.migrate import migrate  # noqa: E402
from tickerpulse.warehouse.queries import query  # noqa: E402

BASELINE = ("aggregate_interval", "aggregate_rolling_24h", "aggregate_daily")


def _time(dsn: str, names: tuple[str, ...], params: dict[str, object], repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        conn = psycopg2.connect(dsn)
        try:
            with conn.cursor() as cur:
                started = time.perf_counter()
                for name in names:
                    cur.execute(query(name), params)
                runs.append(time.perf_counter() - started)
        finally:
            conn.rollback()  # every repetition sees the same warehouse
            conn.close()
    return statistics.median(runs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickers", type=int, default=300)
    parser.add_argument("--days", type=int, default=29)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    admin = local_admin_dsn() or embedded_dsn(Path(".work") / "bench-pgdata")
    with new_database(admin, "tp_bench_surge") as dsn:
        migrate(dsn)
        started = time.perf_counter()
        end = seed(dsn, end=aligned_now(), days=args.days, tickers=args.tickers,
                   posts_per_ticker_day=4)  # fmt: skip
        print(f"seeded {args.tickers} tickers x {args.days} days in "
              f"{time.perf_counter() - started:.0f} s")  # fmt: skip
        bucket = end - timedelta(minutes=30)
        params = {
            "bucket_start": bucket,
            "bucket_end": end,
            **AggregationConfig.from_settings().sql_params(),
            **surge.sql_params(load_settings()),
        }
        base = _time(dsn, BASELINE, params, args.repeat)
        seasonal = _time(dsn, ("aggregate_signals",), params, args.repeat)
        forced = _time(
            dsn, ("aggregate_signals",), {**params, "min_seasonal_samples": 10**6}, args.repeat
        )
    print(f"aggregate task's existing queries (baseline): {1000 * base:8.1f} ms")
    print(f"+ signals, same-hour-of-week baseline:        {1000 * seasonal:8.1f} ms "
          f"({seasonal / base:.2f}x the baseline)")  # fmt: skip
    print(f"+ signals, all-hours baseline (worst case):   {1000 * forced:8.1f} ms "
          f"({forced / base:.2f}x the baseline)")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
