"""UI triggers and backfills, for real: Airflow on loopback, driven through its REST API.

One `airflow standalone` (API server, scheduler, DAG processor, triggerer, LocalExecutor) runs the
project's DAGs from dags/ with plugins/ loaded, against a fresh warehouse and lake. The test:

1. triggers a run of reddit_sentiment through `POST /api/v2/dags/{id}/dagRuns` with params
   {subreddits, post_limit, scorer}, as the UI's "Trigger DAG" form does;
2. creates a backfill of 6 intervals through `POST /api/v2/backfills` (max_active_runs 1), as the
   UI's "Backfill" dialog does, and waits for it;
3. checks the warehouse equals what the same runs give one by one with `dag.test()` in a second
   fresh database (table checksums; operational tables such as task_runs excluded, since they
   record when things ran, not what was computed);
4. runs a second backfill with reprocess_behavior "completed" and checks nothing changed;
5. backfills an interval before TICKERPULSE_START_DATE: Airflow accepts the request (its
   backfills ignore a DAG's start_date), and the run fails in its first task, once, with the
   message saying what to set, recorded in run_events; the warehouse does not change.

Scheduled runs are switched off ([scheduler] use_job_schedule = False) so only what the test asks
for runs: the DAG is unpaused (backfill runs of a paused DAG never start), and with the schedule on
the scheduler would add today's interval.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg2
import pytest
from tools.warehouse_checksum import pipeline_checksums

from tests.airflow_stack import (
    DAG_ID,
    Airflow,
    airflow_env,
    backfill,
    free_port,
    iso,
    run_one_by_one,
    runs_table,
    sqlalchemy_url,
    start_component,
    successful_dag_runs,
    timings,
    wait_for_run,
    wait_until_up,
)
from tests.conftest import new_database

pytestmark = pytest.mark.slow

# Backfill logical date X processes [X, X + 30 min): 14:00 … 16:30 are the windows 14:00–17:00.
BACKFILL_FROM = datetime(2024, 3, 5, 14, 0, tzinfo=UTC)
BACKFILL_TO = datetime(2024, 3, 5, 16, 30, tzinfo=UTC)
WINDOWS = [BACKFILL_FROM + timedelta(minutes=30 * i) for i in range(6)]
# The triggered run: a manual run with logical date L processes [L - 30 min, L), the 17:00 window,
# after the backfill's windows so it never feeds their 24-hour duplicate check in either order.
TRIGGER_LOGICAL = datetime(2024, 3, 5, 17, 30, tzinfo=UTC)
TRIGGER_PARAMS = {
    "subreddits": ["stocks", "wallstreetbets"],
    "post_limit": 500,
    "scorer": "offline",
}
FETCH_LOGS = frozenset({"price_coverage"})


@pytest.fixture
def rest_warehouse(pg_admin_dsn: str) -> Iterator[str]:
    """A second fresh database (fresh_db is the one-by-one side)."""
    with new_database(pg_admin_dsn, "tp_rest") as dsn:
        yield dsn


@pytest.fixture
def airflow_metadata(pg_admin_dsn: str) -> Iterator[str]:
    """Airflow's own metadata on PostgreSQL: SQLite's single writer makes the scheduler and the
    API server trip over each other ("Database error", spurious 409/404 on backfills)."""
    with new_database(pg_admin_dsn, "tp_airflow") as dsn:
        yield sqlalchemy_url(dsn)


@pytest.fixture
def airflow_server(rest_warehouse: str, airflow_metadata: str, tmp_path: Path) -> Iterator[Airflow]:
    port = free_port()
    home = tmp_path / "airflow-home"
    home.mkdir()
    env = airflow_env(
        home=home,
        port=port,
        metadata_url=airflow_metadata,
        warehouse_dsn=rest_warehouse,
        tmp_path=tmp_path,
    )
    # warm LocalExecutor workers (plugins/tickerpulse_listener.py): ~4x faster tasks here
    env["TICKERPULSE_PRELOAD_MODULES"] = "tickerpulse.preload"
    server = Airflow(f"http://127.0.0.1:{port}", home)
    server.components.append(start_component("standalone", ["standalone"], env, tmp_path))
    try:
        yield server  # not up yet: the test does its one-by-one runs while Airflow boots
    finally:
        server.stop()


def test_rest_trigger_and_backfills_match_one_by_one_runs(
    airflow_server: Airflow,
    rest_warehouse: str,
    fresh_db: str,
    airflow_db: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = airflow_server
    began = time.monotonic()
    # the reference first, in this process, while `airflow standalone` starts up
    reference_runs = [(TRIGGER_LOGICAL, TRIGGER_PARAMS)] + [
        (window + timedelta(minutes=30), None) for window in WINDOWS
    ]
    run_one_by_one(fresh_db, tmp_path, monkeypatch, reference_runs)
    expected = pipeline_checksums(fresh_db)
    print(f"one-by-one runs done after {time.monotonic() - began:.0f}s")
    wait_until_up(server)
    print(f"Airflow up after {time.monotonic() - began:.0f}s")
    # score runs in the "llm" pool (rate limits); compose's airflow-init creates it the same way
    server.request("POST", "/api/v2/pools", {"name": "llm", "slots": 4, "include_deferred": False})
    triggered = server.request(
        "POST",
        f"/api/v2/dags/{DAG_ID}/dagRuns",
        {"logical_date": iso(TRIGGER_LOGICAL), "conf": TRIGGER_PARAMS},
    )
    assert triggered["conf"] == TRIGGER_PARAMS
    assert wait_for_run(server, triggered["dag_run_id"]) == "success", server.log_tail()
    print(f"triggered run done after {time.monotonic() - began:.0f}s")

    first = backfill(server, BACKFILL_FROM, BACKFILL_TO, "none")
    assert [r["logical_date"][:16] for r in first] == [iso(w)[:16] for w in WINDOWS]
    assert all(r["state"] == "success" for r in first), first
    print(f"first backfill done after {time.monotonic() - began:.0f}s")
    print(timings(rest_warehouse))

    rest = pipeline_checksums(rest_warehouse)
    assert rest["pipeline_runs"][0] == 7
    assert rest["posts"][0] > 0
    assert rest == expected, (
        runs_table(rest_warehouse) + "\n--- one by one ---\n" + runs_table(fresh_db)
    )

    assert successful_dag_runs(rest_warehouse) == 7  # the listener ran in the stack

    second = backfill(server, BACKFILL_FROM, BACKFILL_TO, "completed")
    assert len(second) == 6, second
    assert all(r["state"] == "success" for r in second), second
    again = pipeline_checksums(rest_warehouse)
    # price_coverage logs which price ranges were fetched; a re-run may log more fetches (cache
    # bookkeeping, not pipeline output). Every other table must be byte-identical.
    assert {k: v for k, v in again.items() if k not in FETCH_LOGS} == {
        k: v for k, v in rest.items() if k not in FETCH_LOGS
    }
    print(f"second backfill done after {time.monotonic() - began:.0f}s")

    # Before the start date (default 2024-03-04T00:00Z): the window 23:30–00:00 the day before.
    early = datetime(2024, 3, 3, 23, 30, tzinfo=UTC)
    (refused,) = backfill(server, early, early, "none")
    assert refused["state"] == "failed", refused
    tis = server.request(
        "GET", f"/api/v2/dags/{DAG_ID}/dagRuns/{refused['dag_run_id']}/taskInstances"
    )["task_instances"]
    extract = next(ti for ti in tis if ti["task_id"] == "extract")
    assert extract["state"] == "failed"
    assert extract["try_number"] == 1  # no retries
    with psycopg2.connect(rest_warehouse) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT task_id, message FROM tickerpulse.run_events WHERE run_id = %s",
            (refused["dag_run_id"],),
        )
        events = cur.fetchall()
    assert [task for task, _ in events] == ["extract"]
    assert "before TICKERPULSE_START_DATE" in events[0][1]
    assert "set TICKERPULSE_START_DATE=2024-03-03T23:30Z" in events[0][1]
    assert pipeline_checksums(rest_warehouse) == again
    print(f"backfill before the start date refused after {time.monotonic() - began:.0f}s")
