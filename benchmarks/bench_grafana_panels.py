"""Serving benchmark: p50/p95 latency of every Grafana query over 24 h, 7 d and 90 d on a year of
dense 30-minute rollups for 500 tickers (about 8.7 million rows) plus posts, before and after the
serving layer of sql/004_serving.sql.

"after" is the dashboards' SQL as Grafana sends it (macros expanded by tools.grafana_macros),
run as tickerpulse_reader. "before" is measured in the same run on the same data: the naive form
of the panel from benchmarks/naive_panels/ (30-minute rows for every range) where one exists, else
the same SQL, in both cases inside a rolled-back transaction with 004's indexes dropped.
Targets (issue 6): p95 <= 50 ms for 24 h and 7 d, <= 250 ms for 90 d.

    python benchmarks/bench_grafana_panels.py                 # scratch DB, seeded, dropped after
    python benchmarks/bench_grafana_panels.py --reuse DSN     # an already seeded warehouse
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import psycopg2
import psycopg2.extensions
from psycopg2 import sql as pgsql

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "include"), str(ROOT)]

from benchmarks.seed_serving import seed  # noqa: E402
from tools.grafana_macros import (  # noqa: E402
    PanelQuery,
    QueryContext,
    default_variables,
    expand,
    grafana_queries,
)

from tickerpulse.warehouse.migrate import migrate  # noqa: E402

GRAFANA = ROOT / "grafana"
PANEL_SQL = GRAFANA / "sql"
NAIVE_SQL = Path(__file__).with_name("naive_panels")
READER = "tickerpulse_reader"
RANGES = {"24h": timedelta(hours=24), "7d": timedelta(days=7), "90d": timedelta(days=90)}
TARGET_P95_MS = {"24h": 50.0, "7d": 50.0, "90d": 250.0, "alert": 250.0}
SERVING_INDEXES = (
    "sentiment_30m_bucket_cover_idx",
    "sentiment_1d_day_idx",
    "quarantine_reason_idx",
    "task_runs_start_idx",
    "correlations_computed_idx",
    "hit_rates_computed_idx",
)


@dataclass(frozen=True)
class Timing:
    p50: float
    p95: float
    rows: int


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def naive_twin(item: PanelQuery) -> str | None:
    """The naive form of a panel: the file in naive_panels/ at the path of the panel's .sql."""
    for path in PANEL_SQL.rglob("*.sql"):
        if path.read_text(encoding="utf-8").strip() == item.sql.strip():
            twin = NAIVE_SQL / path.relative_to(PANEL_SQL)
            return twin.read_text(encoding="utf-8") if twin.exists() else None
    return None


def time_query(cur: psycopg2.extensions.cursor, query: str, repeat: int) -> Timing:
    rows = 0
    samples = []
    for attempt in range(repeat + 2):  # two warm-ups: plans and buffers, as a busy Grafana has
        started = time.perf_counter()
        cur.execute(query)
        rows = len(cur.fetchall())
        if attempt >= 2:
            samples.append((time.perf_counter() - started) * 1000)
    return Timing(statistics.median(samples), percentile(samples, 0.95), rows)


@contextmanager
def reader_transaction(dsn: str, *, drop_indexes: bool) -> Iterator[psycopg2.extensions.cursor]:
    conn = psycopg2.connect(dsn)
    try:
        with conn.cursor() as cur:
            if drop_indexes:
                for index in SERVING_INDEXES:
                    cur.execute(
                        pgsql.SQL("DROP INDEX IF EXISTS tickerpulse.{}").format(
                            pgsql.Identifier(index)
                        )
                    )
            cur.execute(pgsql.SQL("SET LOCAL ROLE {}").format(pgsql.Identifier(READER)))
            yield cur
    finally:
        conn.rollback()  # the dropped indexes come back
        conn.close()


def cases(end: datetime, variables: dict[str, str]) -> list[tuple[PanelQuery, str, QueryContext]]:
    found = []
    for item in grafana_queries(GRAFANA):
        if item.kind == "alert":
            span = item.lookback or RANGES["24h"]
            found.append((item, "alert", QueryContext(end - span, end, variables)))
            continue
        for label, span in RANGES.items():
            ctx = QueryContext(end - span, end, variables, min_interval=item.min_interval)
            found.append((item, label, ctx))
            if item.kind == "variable":
                break
    return found


def resolve_variables(dsn: str, end: datetime) -> dict[str, str]:
    values = default_variables(GRAFANA)
    ctx = QueryContext(end - RANGES["24h"], end, values)
    with reader_transaction(dsn, drop_indexes=False) as cur:
        for item in grafana_queries(GRAFANA):
            if item.kind == "variable":
                cur.execute(expand(item.sql, ctx))
                row = cur.fetchone()
                if row:
                    values.setdefault(item.title.removeprefix("variable $"), str(row[0]))
    return values


def latest_bucket(dsn: str) -> datetime:
    conn = psycopg2.connect(dsn)
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT max(bucket_start) + interval '30 minutes' FROM tickerpulse.sentiment_30m"
            )
            (end,) = cur.fetchone()
    finally:
        conn.close()
    if end is None:
        raise SystemExit("the warehouse is empty: seed it first")
    return end


def run(dsn: str, repeat: int, baseline_repeat: int) -> bool:
    end = latest_bucket(dsn) + timedelta(minutes=7)  # a user looking at "now"
    variables = resolve_variables(dsn, end)
    todo = cases(end, variables)
    after: dict[int, Timing] = {}
    with reader_transaction(dsn, drop_indexes=False) as cur:
        for number, (item, _label, ctx) in enumerate(todo):
            after[number] = time_query(cur, expand(item.sql, ctx), repeat)
    before: dict[int, Timing] = {}
    with reader_transaction(dsn, drop_indexes=True) as cur:
        for number, (item, _label, ctx) in enumerate(todo):
            before[number] = time_query(
                cur, expand(naive_twin(item) or item.sql, ctx), baseline_repeat
            )
    ok = True
    print(
        f"variables: {variables}; ranges end {end.isoformat()}; after: {repeat} runs, "
        f"before: {baseline_repeat} runs (p95 of few runs is close to the max)"
    )
    header = (
        f"{'dashboard / panel':62} {'range':>5} {'before p50':>10} {'p95':>8} "
        f"{'after p50':>10} {'p95':>8} {'p95 x':>7} {'rows':>6} target"
    )
    print(header)
    print("-" * len(header))
    for number, (item, label, _ctx) in enumerate(todo):
        b, a = before[number], after[number]
        met = a.p95 <= TARGET_P95_MS[label]
        ok &= met
        name = f"{item.source.split('/')[-1].removesuffix('.json')} / {item.title}"[:62]
        naive = "*" if naive_twin(item) else " "
        print(
            f"{name:62} {label:>5} {b.p50:9.1f}{naive} {b.p95:8.1f} {a.p50:10.1f} {a.p95:8.1f} "
            f"{b.p95 / max(a.p95, 0.001):6.1f}x {a.rows:6d} {'ok' if met else 'MISSED'}"
        )
    print("* before = the naive 30-minute form of the panel (benchmarks/naive_panels/)")
    print(f"all p95 targets met: {'yes' if ok else 'NO'}")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--admin-dsn", default="host=127.0.0.1 port=5432 user=postgres dbname=postgres"
    )
    parser.add_argument("--reuse", metavar="DSN", help="measure an already seeded warehouse")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--tickers", type=int, default=500)
    parser.add_argument("--posts-per-ticker-day", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--baseline-repeat", type=int, default=5)
    args = parser.parse_args(argv)
    if args.reuse:
        return 0 if run(args.reuse, args.repeat, args.baseline_repeat) else 1
    name = f"tp_bench_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(args.admin_dsn)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(pgsql.SQL("CREATE DATABASE {}").format(pgsql.Identifier(name)))
    dsn = (
        " ".join(p for p in args.admin_dsn.split() if not p.startswith("dbname="))
        + f" dbname={name}"
    )
    try:
        started = time.perf_counter()
        migrate(dsn)
        seed(
            dsn,
            days=args.days,
            tickers=args.tickers,
            posts_per_ticker_day=args.posts_per_ticker_day,
        )
        print(
            f"seeded {name}: {args.days} days x {args.tickers} tickers in "
            f"{time.perf_counter() - started:.0f} s"
        )
        return 0 if run(dsn, args.repeat, args.baseline_repeat) else 1
    finally:
        if not args.keep:
            with admin.cursor() as cur:
                cur.execute(
                    pgsql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                        pgsql.Identifier(name)
                    )
                )
        admin.close()


if __name__ == "__main__":
    sys.exit(main())
