"""Every SQL query Grafana will run (panels, template variables, alert rules), expanded the way
Grafana expands it and run as the read-only role against a seeded warehouse.

A panel whose SQL fails, reads a table the reader may not read, or returns the wrong shape for
its panel type fails here instead of showing "no data" in front of a user. Each query runs over
24 hours, 7 days and 90 days, because several panels switch between the 30-minute and the daily
rollup by range, and both branches must work.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg2
import psycopg2.extensions
import pytest
from psycopg2 import sql as pgsql
from tools.grafana_macros import (
    MacroError,
    PanelQuery,
    QueryContext,
    default_variables,
    expand,
    grafana_queries,
)

from tickerpulse.warehouse.migrate import migrate

from .conftest import new_database

ROOT = Path(__file__).resolve().parents[1]
GRAFANA = ROOT / "grafana"
READER = "tickerpulse_reader"
RANGES = {"24h": timedelta(hours=24), "7d": timedelta(days=7), "90d": timedelta(days=90)}
NUMERIC = {"int2", "int4", "int8", "float4", "float8", "numeric"}
TIME_TYPES = {"timestamptz", "timestamp", "date"}

sys.path.insert(0, str(ROOT))
from benchmarks.seed_serving import aligned_now, seed  # noqa: E402


@dataclass(frozen=True)
class Warehouse:
    dsn: str
    end: datetime


@pytest.fixture(scope="module")
def warehouse(pg_admin_dsn: str) -> Iterator[Warehouse]:
    """A migrated warehouse with 10 days of dense synthetic data for 12 tickers, ending now."""
    with new_database(pg_admin_dsn, "tp_test_panels") as dsn:
        migrate(dsn)
        end = seed(dsn, end=aligned_now(), days=10, tickers=12, posts_per_ticker_day=3)
        yield Warehouse(dsn, end)


@pytest.fixture(scope="module")
def reader(warehouse: Warehouse) -> Iterator[psycopg2.extensions.connection]:
    conn = psycopg2.connect(warehouse.dsn)
    yield conn
    conn.close()


def _type_names(conn: psycopg2.extensions.connection, oids: list[int]) -> list[str]:
    with conn.cursor() as cur:
        cur.execute("SELECT oid, typname FROM pg_type WHERE oid = ANY(%s)", (oids,))
        names = dict(cur.fetchall())
    return [names[oid] for oid in oids]


def run_as_reader(
    conn: psycopg2.extensions.connection, query: str
) -> tuple[list[str], list[str], list[tuple[Any, ...]]]:
    """(column names, type names, rows) of a query run as the read-only role, in a read-only
    transaction that is rolled back: what Grafana's login (a member of the role) would get."""
    try:
        with conn.cursor() as cur:
            cur.execute("SET TRANSACTION READ ONLY")
            cur.execute(pgsql.SQL("SET LOCAL ROLE {}").format(pgsql.Identifier(READER)))
            cur.execute(query)
            columns = [d.name for d in cur.description or []]
            oids = [d.type_code for d in cur.description or []]
            rows = cur.fetchall()
    finally:
        conn.rollback()
    return columns, _type_names(conn, oids), rows


def resolve_variables(conn: psycopg2.extensions.connection, end: datetime) -> dict[str, str]:
    """Each query variable's first value, as Grafana picks on first load; then the defaults."""
    values = default_variables(GRAFANA)
    ctx = QueryContext(end - RANGES["24h"], end, values)
    for item in grafana_queries(GRAFANA):
        if item.kind == "variable":
            name = item.title.removeprefix("variable $")
            _, _, rows = run_as_reader(conn, expand(item.sql, ctx))
            if rows:
                values.setdefault(name, str(rows[0][0]))
    return values


def problems(
    conn: psycopg2.extensions.connection, item: PanelQuery, ctx: QueryContext
) -> list[str]:
    """What is wrong with one query's result for its panel type; [] when Grafana can draw it."""
    try:
        columns, types, rows = run_as_reader(conn, expand(item.sql, ctx))
    except (psycopg2.Error, MacroError) as exc:
        return [f"fails: {str(exc).strip().splitlines()[0]}"]
    found: list[str] = []
    if not rows:
        found.append("returns no rows on the seeded warehouse")
    if item.fmt == "time_series" or item.kind == "timeseries":
        if "time" not in columns:
            found.append(f"time series without a 'time' column (columns: {columns})")
        else:
            at = columns.index("time")
            if types[at] not in TIME_TYPES | NUMERIC:
                found.append(f"'time' column is {types[at]}, not a timestamp or epoch")
            times = [row[at] for row in rows]
            if times != sorted(times):
                found.append("time series not sorted by time")
        if not any(t in NUMERIC for i, t in enumerate(types) if columns[i] != "time"):
            found.append("time series without a numeric value column")
    elif item.kind == "alert":
        numeric = [c for c, t in zip(columns, types, strict=True) if t in NUMERIC]
        if len(numeric) != 1:
            found.append(f"alert query needs exactly one numeric column, has {numeric}")
        others = [t for c, t in zip(columns, types, strict=True) if c not in numeric]
        if any(t not in ("text", "varchar", "name") for t in others):
            found.append("alert label columns must be strings")
    elif item.kind in ("stat", "bargauge", "gauge"):
        if not any(t in NUMERIC for t in types):
            found.append(f"{item.kind} without a numeric column")
    elif not columns:
        found.append("returns no columns")
    return found


def _context(
    item: PanelQuery, end: datetime, span: timedelta, variables: dict[str, str]
) -> QueryContext:
    if item.kind == "alert" and item.lookback is not None:
        span = item.lookback  # alerts run over their own relativeTimeRange, ending now
    return QueryContext(end - span, end, variables, min_interval=item.min_interval)


QUERIES = grafana_queries(GRAFANA)


def test_the_grafana_folder_has_the_five_dashboards_and_four_alerts() -> None:
    sources = {q.source for q in QUERIES}
    for name in ("ticker", "leaderboard", "data_quality", "pipeline", "sentiment_price"):
        assert f"dashboards/{name}.json" in sources, name
    alerts = [q for q in QUERIES if q.kind == "alert"]
    assert len(alerts) == 4


@pytest.mark.parametrize("item", QUERIES, ids=[f"{q.source}:{q.title}" for q in QUERIES])
def test_every_grafana_query_returns_data_as_the_reader(
    item: PanelQuery, warehouse: Warehouse, reader: psycopg2.extensions.connection
) -> None:
    variables = resolve_variables(reader, warehouse.end)
    # A few minutes past the last bucket, like a user looking at "now".
    end = warehouse.end + timedelta(minutes=7)
    failures = {
        label: found
        for label, span in RANGES.items()
        if (found := problems(reader, item, _context(item, end, span, variables)))
    }
    assert not failures, f"{item.source} / {item.title}: {failures}"


# --- the checker itself must catch broken panels -------------------------------------------------


def _broken(sql: str, kind: str = "table", fmt: str = "table") -> PanelQuery:
    return PanelQuery("test", "broken", kind, sql, fmt)


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        (_broken("SELECT no_such_column FROM tickerpulse.sentiment_30m"), "fails"),
        (
            _broken("SELECT * FROM tickerpulse.sentiment_30m WHERE $__timeFilter(bucket_start"),
            "fails",
        ),
        (
            _broken("SELECT 1 FROM tickerpulse.sentiment_30m WHERE $__timeFiltr(bucket_start)"),
            "unknown macro",
        ),
        (_broken("SELECT reason FROM tickerpulse.dropped"), "permission denied"),
        (_broken("SELECT raw_json FROM tickerpulse.quarantine"), "permission denied"),
        (_broken("SELECT * FROM public.tickerpulse_migrations"), "permission denied"),
        (_broken("SELECT ticker FROM tickerpulse.sentiment_30m WHERE false"), "no rows"),
        (
            _broken(
                "SELECT mentions FROM tickerpulse.sentiment_30m WHERE $__timeFilter(bucket_start)",
                "timeseries",
                "time_series",
            ),
            "without a 'time' column",
        ),
        (
            _broken(
                "SELECT bucket_start AS time, mentions FROM tickerpulse.sentiment_30m "
                "WHERE $__timeFilter(bucket_start) ORDER BY 1 DESC",
                "timeseries",
                "time_series",
            ),
            "not sorted",
        ),
        (
            _broken("SELECT ticker, mentions, scored FROM tickerpulse.sentiment_30m", "alert"),
            "exactly one numeric",
        ),
    ],
    ids=lambda value: value if isinstance(value, str) else value.sql[:40],
)
def test_the_checker_fails_a_broken_panel(
    item: PanelQuery, expected: str, warehouse: Warehouse, reader: psycopg2.extensions.connection
) -> None:
    ctx = QueryContext(warehouse.end - RANGES["24h"], warehouse.end, {})
    found = problems(reader, item, ctx)
    assert any(expected in p for p in found), found


def test_a_dashboard_whose_sql_breaks_fails_the_suite(
    tmp_path: Path, warehouse: Warehouse, reader: psycopg2.extensions.connection
) -> None:
    """The parametrized test reads the dashboards from disk: a typo in a copy must show up."""
    board = (GRAFANA / "dashboards" / "ticker.json").read_text(encoding="utf-8")
    (tmp_path / "dashboards").mkdir()
    (tmp_path / "dashboards" / "ticker.json").write_text(
        board.replace("weighted_mean", "weighted_meen"), encoding="utf-8"
    )
    broken = [q for q in grafana_queries(tmp_path) if "weighted_meen" in q.sql]
    assert broken
    ctx = QueryContext(warehouse.end - RANGES["7d"], warehouse.end, {"ticker": "T001"})
    assert all(problems(reader, q, ctx) for q in broken)


# --- what one panel computes, executed on rows whose answer is known -----------------------------

LEADERBOARD_END = datetime(2024, 3, 6, 12, 0, tzinfo=UTC)


def _leaderboard_rows() -> list[tuple[str, datetime, int]]:
    """(ticker, bucket, mentions): 30 tickers now, 29 a day earlier in the opposite order (in the
    first bucket of the earlier window, so a shorter shift misses it), and a huge bucket just
    before that window that neither 24-hour window may count."""
    now = LEADERBOARD_END - timedelta(hours=2)
    day_before = LEADERBOARD_END - timedelta(hours=48)
    rows = [(f"T{i:02d}", now, 10 + 2 * i) for i in range(30)]
    rows += [(f"T{i:02d}", day_before, 70 - 2 * i) for i in range(29)]  # T29 is new today
    rows.append(("T00", LEADERBOARD_END - timedelta(hours=48, minutes=30), 10_000))
    return rows


@pytest.fixture(scope="module")
def leaderboard_dsn(pg_admin_dsn: str) -> Iterator[str]:
    with new_database(pg_admin_dsn, "tp_test_leaderboard") as dsn:
        migrate(dsn)
        with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO tickerpulse.sentiment_30m (ticker, bucket_start, mentions,"
                " unique_authors, scored, weighted_mean, confidence)"
                " VALUES (%s, %s, %s, %s, %s, 0.2, 0.5)",
                [(t, b, m, m, m) for t, b, m in _leaderboard_rows()],
            )
        conn.close()
        yield dsn


def test_leaderboard_ranks_the_top_25_by_mentions_against_a_day_earlier(
    leaderboard_dsn: str,
) -> None:
    """The "Top 25 by mentions" panel, expanded as Grafana does and run as the reader."""
    [item] = [
        q
        for q in QUERIES
        if q.source == "dashboards/leaderboard.json" and q.title == "Top 25 by mentions [A]"
    ]
    ctx = QueryContext(LEADERBOARD_END - RANGES["24h"], LEADERBOARD_END, default_variables(GRAFANA))
    conn = psycopg2.connect(leaderboard_dsn)
    try:
        columns, _, rows = run_as_reader(conn, expand(item.sql, ctx))
    finally:
        conn.close()
    got = [dict(zip(columns, row, strict=True)) for row in rows]
    # Now T29 leads with 68 and T05 is 25th with 20; a day earlier T00 led and T28 was 29th.
    assert [r["ticker"] for r in got] == [f"T{i:02d}" for i in range(29, 4, -1)]
    assert [r["rank"] for r in got] == list(range(1, 26))
    assert [r["mentions"] for r in got] == [10 + 2 * i for i in range(29, 4, -1)]
    new = got[0]
    assert new["mention_change"] == 68  # nothing a day earlier counts as zero
    assert new["rank_change"] is None
    assert new["mention_change_pct"] is None
    for row in got[1:]:
        i = int(row["ticker"][1:])
        assert row["mention_change"] == (10 + 2 * i) - (70 - 2 * i), row
        assert row["rank_change"] == (i + 1) - (30 - i), row  # climbed from rank i + 1
    assert float(got[1]["mention_change_pct"]) == round(100 * 52 / 14, 1)  # T28: 14 -> 66
