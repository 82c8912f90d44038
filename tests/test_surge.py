"""The surge score and its Grafana alert, on histories where the answer is known.

A history is written straight into the rollup (unique authors per bucket) with pipeline_runs rows
for coverage; the bucket under test goes through the real path: posts and their sentiment rows,
the aggregate stage's rebuild_bucket, then the provisioned alert query run as the read-only role
with the provisioned threshold.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg2
import psycopg2.extensions
import pytest
import yaml
from psycopg2 import sql as pgsql

from tickerpulse import surge
from tickerpulse.stages.aggregate import rebuild_bucket
from tickerpulse.warehouse.migrate import migrate

from .conftest import new_database

ROOT = Path(__file__).resolve().parents[1]
ALERTS = ROOT / "grafana" / "provisioning" / "alerting" / "tickerpulse.yaml"
BUCKET = timedelta(minutes=30)
# A Monday 15:00 UTC, four full weeks after the history starts.
T = datetime(2024, 4, 1, 15, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def warehouse(pg_admin_dsn: str) -> Iterator[str]:
    with new_database(pg_admin_dsn, "tp_test_surge") as dsn:
        migrate(dsn)
        yield dsn


@pytest.fixture
def conn(warehouse: str) -> Iterator[psycopg2.extensions.connection]:
    connection = psycopg2.connect(warehouse)
    connection.autocommit = True
    with connection.cursor() as cur:
        cur.execute(
            "TRUNCATE tickerpulse.posts, tickerpulse.post_sentiment, tickerpulse.sentiment_30m,"
            " tickerpulse.sentiment_24h, tickerpulse.sentiment_1d, tickerpulse.pipeline_runs,"
            " tickerpulse.ticker_subreddit_30m"
        )
    yield connection
    connection.close()


def cover(conn: psycopg2.extensions.connection, start: datetime, end: datetime) -> None:
    """pipeline_runs rows for every bucket in [start, end): the pipeline ran then."""
    with conn.cursor() as cur:
        cur.execute(
            "INSERT INTO tickerpulse.pipeline_runs (interval_start, interval_end, extracted,"
            " quarantined, duplicates, bots, loaded, with_tickers, scored, unscored, llm_calls,"
            " tokens_in, tokens_out, cost_usd, cache_hits, scorer_version)"
            " SELECT b, b + interval '30 minutes', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 'x'"
            " FROM generate_series(%s::timestamptz, %s::timestamptz - interval '30 minutes',"
            "                      interval '30 minutes') AS b",
            (start, end),
        )


def history(
    conn: psycopg2.extensions.connection, ticker: str, authors: dict[datetime, int]
) -> None:
    """The rollup rows of earlier buckets: what the baseline reads."""
    kept = [(b, n) for b, n in authors.items() if n > 0]
    with conn.cursor() as cur:
        cur.execute(
            "INSERT INTO tickerpulse.sentiment_30m (ticker, bucket_start, mentions,"
            " unique_authors, scored) SELECT %s, b, n, n, n"
            " FROM unnest(%s::timestamptz[], %s::integer[]) AS u(b, n)",
            (ticker, [b for b, _ in kept], [n for _, n in kept]),
        )


def steady(start: datetime, end: datetime, n: int) -> dict[datetime, int]:
    out, b = {}, start
    while b < end:
        out[b] = n
        b += BUCKET
    return out


def post_bucket(conn: psycopg2.extensions.connection, ticker: str, authors: list[str]) -> None:
    """One post per entry of `authors`, each mentioning `ticker`, in bucket T."""
    conn.autocommit = False
    with conn, conn.cursor() as cur:
        for i, author in enumerate(authors):
            pid = f"t3_{ticker.lower()}{i}"
            cur.execute(
                "INSERT INTO tickerpulse.posts (post_id, kind, subreddit, author_hash, title,"
                " created_utc, score, content_hash, simhash, tickers, interval_start)"
                " VALUES (%s, 'post', 'wallstreetbets', %s, %s, %s, 1, %s, 0, %s, %s)",
                (pid, author, f"{ticker} now", T + timedelta(seconds=20 * i), pid, [ticker], T),
            )
            cur.execute(
                "INSERT INTO tickerpulse.post_sentiment (post_id, ticker, scorer_version, status,"
                " score, scorer, mention_kind, mention_weight, interval_start, option_side)"
                " VALUES (%s, %s, 'v', 'scored', 0.5, 'offline', 'cashtag', 1.0, %s, %s)",
                (pid, ticker, T, "call" if i % 3 == 0 else None),
            )
    conn.autocommit = True


def row(conn: psycopg2.extensions.connection, ticker: str) -> dict[str, Any]:
    with conn.cursor() as cur:
        cur.execute(
            "SELECT unique_authors, surge_z, surge_baseline, surge_scale, surge_basis,"
            " surge_samples, trend, calls, puts, put_call_ratio FROM tickerpulse.sentiment_30m"
            " WHERE ticker = %s AND bucket_start = %s",
            (ticker, T),
        )
        found = cur.fetchone()
        assert found is not None, f"no rollup row for {ticker}"
        names = [d.name for d in cur.description or []]
    return dict(zip(names, found, strict=True))


def alert_threshold() -> float:
    rules = {r["uid"]: r for g in yaml.safe_load(ALERTS.read_text())["groups"] for r in g["rules"]}
    rule = rules["tickerpulse-mention-surge"]
    [condition] = [d for d in rule["data"] if d["refId"] == rule["condition"]]
    [check] = condition["model"]["conditions"]
    assert check["evaluator"]["type"] == "gt"
    return float(check["evaluator"]["params"][0])


def firing(conn: psycopg2.extensions.connection) -> dict[str, float]:
    """What the provisioned rule fires on: its query as the reader, its threshold."""
    rules = {r["uid"]: r for g in yaml.safe_load(ALERTS.read_text())["groups"] for r in g["rules"]}
    [query] = [
        d["model"]["rawSql"]
        for d in rules["tickerpulse-mention-surge"]["data"]
        if d["refId"] == "A"
    ]
    threshold = alert_threshold()
    conn.autocommit = False
    try:
        with conn.cursor() as cur:
            cur.execute("SET TRANSACTION READ ONLY")
            cur.execute(
                pgsql.SQL("SET LOCAL ROLE {}").format(pgsql.Identifier("tickerpulse_reader"))
            )
            cur.execute(query)
            rows = cur.fetchall()
    finally:
        conn.rollback()
        conn.autocommit = True
    return {ticker: float(z) for ticker, z in rows if z is not None and float(z) > threshold}


def test_the_alert_fires_when_many_authors_jump_from_a_steady_baseline(
    conn: psycopg2.extensions.connection, warehouse: str
) -> None:
    cover(conn, T - timedelta(days=28), T)
    history(conn, "GME", steady(T - timedelta(days=28), T, 3))
    history(conn, "AMC", steady(T - timedelta(days=28), T, 3))
    post_bucket(conn, "GME", [f"author{i}" for i in range(30)])
    post_bucket(conn, "AMC", [f"author{i}" for i in range(3)])  # a normal half hour
    rebuild_bucket(warehouse, T, T + BUCKET)

    gme = row(conn, "GME")
    assert gme["unique_authors"] == 30
    assert gme["surge_basis"] == "hour_of_week"
    assert gme["surge_samples"] == 8  # Mondays 15:00 and 15:30 of the four weeks before
    assert gme["surge_baseline"] == 3
    assert gme["surge_scale"] == pytest.approx(3**0.5, abs=1e-4)  # MAD 0: the Poisson floor
    assert gme["surge_z"] == pytest.approx((30 - 3) / 3**0.5, abs=1e-3)
    assert gme["trend"] == "rising"
    assert row(conn, "AMC")["surge_z"] == pytest.approx(0.0)
    assert firing(conn) == {"GME": pytest.approx(15.588, abs=1e-3)}


def test_one_author_posting_as_often_does_not_fire(
    conn: psycopg2.extensions.connection, warehouse: str
) -> None:
    cover(conn, T - timedelta(days=28), T)
    history(conn, "GME", steady(T - timedelta(days=28), T, 3))
    post_bucket(conn, "GME", ["spammer"] * 30)  # the same 30 posts, one account
    rebuild_bucket(warehouse, T, T + BUCKET)

    gme = row(conn, "GME")
    with conn.cursor() as cur:
        cur.execute(
            "SELECT mentions FROM tickerpulse.sentiment_30m WHERE ticker = 'GME'"
            " AND bucket_start = %s",
            (T,),
        )
        assert cur.fetchone() == (30,)  # thirty mentions, as in the firing case
    assert gme["unique_authors"] == 1
    assert gme["surge_z"] == pytest.approx((1 - 3) / 3**0.5, abs=1e-3)
    assert firing(conn) == {}


def test_a_new_ticker_cannot_surge_before_a_week_of_history(
    conn: psycopg2.extensions.connection, warehouse: str
) -> None:
    cover(conn, T - timedelta(days=28), T)
    history(conn, "NEWCO", steady(T - timedelta(days=2), T, 1))  # first seen two days ago
    post_bucket(conn, "NEWCO", [f"author{i}" for i in range(40)])
    rebuild_bucket(warehouse, T, T + BUCKET)

    new = row(conn, "NEWCO")
    assert new["surge_basis"] == "insufficient_history"
    assert new["surge_z"] is None
    assert firing(conn) == {}


def test_the_same_hour_of_the_week_is_the_baseline_when_there_is_enough_of_it(
    conn: psycopg2.extensions.connection, warehouse: str
) -> None:
    """Busy every Monday at 15:00 and quiet otherwise: 12 authors then is normal, not a surge,
    which the all-hours baseline (median 1) would call one."""
    cover(conn, T - timedelta(days=28), T)
    authors = steady(T - timedelta(days=28), T, 1)
    for week in range(1, 5):
        monday = T - timedelta(weeks=week)
        authors[monday] = authors[monday + BUCKET] = 12
    history(conn, "TSLA", authors)
    post_bucket(conn, "TSLA", [f"a{i}" for i in range(12)])
    rebuild_bucket(warehouse, T, T + BUCKET)

    tsla = row(conn, "TSLA")
    assert tsla["surge_basis"] == "hour_of_week"
    assert tsla["surge_baseline"] == 12
    assert tsla["surge_z"] == pytest.approx(0.0)
    all_hours = surge.robust_z(12, list(authors.values()))
    assert all_hours.z is not None
    assert all_hours.z > 5  # what ignoring the season would say


def test_all_hours_baseline_when_the_history_is_short_and_sql_matches_the_reference(
    conn: psycopg2.extensions.connection, warehouse: str
) -> None:
    """Ten days of history: two Monday-15:00 samples are too few, so every covered bucket since
    the ticker was first seen is the baseline, zeros included; SQL and Python agree."""
    rng = random.Random(7)
    start = T - timedelta(days=10)
    cover(conn, T - timedelta(days=28), T)
    authors = {
        b: (rng.choice([0, 0, 1, 2, 3, 5]) if rng.random() < 0.8 else 0)
        for b in steady(start, T, 0)
    }
    authors[start] = 2  # first seen exactly ten days ago
    history(conn, "PLTR", authors)
    post_bucket(conn, "PLTR", [f"a{i}" for i in range(9)])
    rebuild_bucket(warehouse, T, T + BUCKET)

    pltr = row(conn, "PLTR")
    reference = surge.robust_z(9, list(authors.values()))
    assert pltr["surge_basis"] == "all_hours"
    assert pltr["surge_samples"] == reference.samples == 480
    assert pltr["surge_baseline"] == pytest.approx(reference.median)
    assert pltr["surge_scale"] == pytest.approx(reference.scale, abs=1e-4)
    assert pltr["surge_z"] == pytest.approx(reference.z, abs=1e-3)


def test_trend_and_options_counts_of_the_bucket(
    conn: psycopg2.extensions.connection, warehouse: str
) -> None:
    cover(conn, T - timedelta(days=1), T)
    recent = {T - BUCKET * k: 0 for k in range(1, 8)}
    history(conn, "BB", {**recent, T - BUCKET * 7: 9, T - BUCKET * 6: 9, T - BUCKET * 5: 9})
    post_bucket(conn, "BB", [f"a{i}" for i in range(6)])
    rebuild_bucket(warehouse, T, T + BUCKET)

    bb = row(conn, "BB")
    assert bb["trend"] == "falling"  # 27 authors in the hour and a half before, 6 now
    assert surge.trend(6, 27) == "falling"
    assert bb["calls"] == 2  # posts 0 and 3 of six talk calls
    assert bb["puts"] == 0
    assert bb["put_call_ratio"] == 0.0
