"""UI triggers and backfills, for real: Airflow on loopback, driven through its REST API.

The stack is what docker-compose.yml runs where this machine has Redis: one process per component
and two Celery workers (tests/celery_stack.py). Without Redis it is one `airflow standalone`
(LocalExecutor). Either runs the project's DAGs from dags/ with plugins/ loaded, against a fresh
warehouse and lake. The test:

1. triggers a run of reddit_sentiment through `POST /api/v2/dags/{id}/dagRuns` with params
   {subreddits, post_limit, scorer}, as the UI's "Trigger DAG" form does;
2. creates a backfill of 4 intervals through `POST /api/v2/backfills` (max_active_runs 1), as the
   UI's "Backfill" dialog does, and waits for it; on Celery, every task instance ran on one of the
   two workers, both ran some, Celery recorded a result for each, and compose's worker
   healthcheck answers;
3. checks the warehouse equals what the same runs give one by one with `dag.test()` in a second
   fresh database (table checksums; operational tables such as task_runs excluded, since they
   record when things ran, not what was computed);
4. backfills the last two intervals again with reprocess_behavior "completed" and checks nothing
   changed;
5. backfills an interval before TICKERPULSE_START_DATE: Airflow accepts the request (its
   backfills ignore a DAG's start_date), and the run fails in its first task, once, with the
   message saying what to set, recorded in run_events; the warehouse does not change.

One stack serves every step: starting Airflow is most of the cost on 2 cores.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg2
import pytest
import redis
from tools.warehouse_checksum import pipeline_checksums

from tests import celery_stack
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

# five Airflow processes on 2 cores: minutes, more when the host is busy
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]

# Backfill logical date X processes [X, X + 30 min): 14:00 … 15:30 are the windows 14:00–16:00.
BACKFILL_FROM = datetime(2024, 3, 5, 14, 0, tzinfo=UTC)
BACKFILL_TO = datetime(2024, 3, 5, 15, 30, tzinfo=UTC)
WINDOWS = [BACKFILL_FROM + timedelta(minutes=30 * i) for i in range(4)]
# The triggered run: a manual run with logical date L processes [L - 30 min, L), the 16:00 window,
# after the backfill's windows so it never feeds their 24-hour duplicate check in either order.
TRIGGER_LOGICAL = datetime(2024, 3, 5, 16, 30, tzinfo=UTC)
TRIGGER_PARAMS = {
    "subreddits": ["stocks", "wallstreetbets"],
    "post_limit": 500,
    "scorer": "offline",
}
FETCH_LOGS = frozenset({"price_coverage"})
START_TIMEOUT_S = 180
BACKFILL_TIMEOUT_S = 600


@dataclass
class Stack:
    server: Airflow
    metadata_dsn: str
    env: dict[str, str]
    broker: celery_stack.Broker | None  # None: `airflow standalone`, LocalExecutor
    booted: Future[None] | None  # Celery: migrate, then start every component


@pytest.fixture
def rest_warehouse(pg_admin_dsn: str) -> Iterator[str]:
    """The warehouse the stack loads (fresh_db is the one-by-one side)."""
    with new_database(pg_admin_dsn, "tp_rest") as dsn:
        yield dsn


@pytest.fixture
def airflow_metadata_dsn(pg_admin_dsn: str) -> Iterator[str]:
    """Airflow's own metadata on PostgreSQL: SQLite's single writer makes the scheduler and the
    API server trip over each other ("Database error", spurious 409/404 on backfills)."""
    with new_database(pg_admin_dsn, "tp_airflow") as dsn:
        yield dsn


@pytest.fixture
def stack(rest_warehouse: str, airflow_metadata_dsn: str, tmp_path: Path) -> Iterator[Stack]:
    port = free_port()
    home = tmp_path / "airflow-home"
    home.mkdir()
    metadata_url = sqlalchemy_url(airflow_metadata_dsn)
    env = airflow_env(
        home=home,
        port=port,
        metadata_url=metadata_url,
        warehouse_dsn=rest_warehouse,
        tmp_path=tmp_path,
    )
    server = Airflow(f"http://127.0.0.1:{port}", home)
    client = celery_stack.redis_client()
    if client is None:
        print("no Redis on 127.0.0.1:6379: the stack is `airflow standalone` (LocalExecutor)")
        # warm LocalExecutor workers (plugins/tickerpulse_listener.py): ~4x faster tasks here
        env["TICKERPULSE_PRELOAD_MODULES"] = "tickerpulse.preload"
        server.components.append(start_component("standalone", ["standalone"], env, tmp_path))
        try:
            yield Stack(server, airflow_metadata_dsn, env, None, None)
        finally:
            server.stop()
        return
    broker = celery_stack.new_broker()
    env = celery_stack.celery_env(env, broker, metadata_url)
    pool = ThreadPoolExecutor(max_workers=1)
    booted = pool.submit(celery_stack.boot, server, env, tmp_path, broker)
    try:
        # not up yet: the test does its one-by-one runs while Airflow migrates and boots
        yield Stack(server, airflow_metadata_dsn, env, broker, booted)
    finally:
        pool.shutdown(wait=True)  # no component may start after the teardown below
        server.stop()
        celery_stack.drop_broker_keys(client, broker)
        client.close()


def _check_the_celery_workers_ran_it(stack: Stack, run_ids: list[str]) -> None:
    assert stack.broker is not None
    instances = celery_stack.task_instances(stack.metadata_dsn, run_ids)
    assert instances, "the backfill's runs have no task instances"
    assert {state for _, _, state, _, _ in instances} == {"success"}, instances
    assert {queue for *_, queue in instances} == {stack.broker.queue}
    per_worker = Counter(hostname for _, _, _, hostname, _ in instances)
    print(f"task instances per worker: {dict(per_worker)}")
    assert set(per_worker) == set(celery_stack.WORKERS), per_worker  # both ran, nothing else did
    results = celery_stack.celery_results(stack.metadata_dsn)
    assert results["SUCCESS"] >= len(instances), results

    keys = redis.Redis.from_url(stack.broker.url).keys("*")
    assert any(k.decode().startswith(stack.broker.key_prefix) for k in keys)
    assert not any(k.decode().startswith("_kombu.") for k in keys), "a key without the prefix"

    worker = celery_stack.WORKERS[0]
    health = celery_stack.compose_worker_healthcheck(stack.env, worker)
    assert health.returncode == 0, health.stdout + health.stderr
    assert f"celery@{worker}: OK" in health.stdout


def test_rest_trigger_and_backfills_match_one_by_one_runs(
    stack: Stack,
    rest_warehouse: str,
    fresh_db: str,
    airflow_db: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = stack.server
    began = time.monotonic()
    # the reference first, in this process, while Airflow starts up
    reference_runs = [(TRIGGER_LOGICAL, TRIGGER_PARAMS)] + [
        (window + timedelta(minutes=30), None) for window in WINDOWS
    ]
    run_one_by_one(fresh_db, tmp_path, monkeypatch, reference_runs)
    expected = pipeline_checksums(fresh_db)
    print(f"one-by-one runs done after {time.monotonic() - began:.0f}s")
    if stack.booted is not None:
        stack.booted.result(timeout=celery_stack.MIGRATE_TIMEOUT_S)
    wait_until_up(server, timeout_s=START_TIMEOUT_S)
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

    first = backfill(server, BACKFILL_FROM, BACKFILL_TO, "none", timeout_s=BACKFILL_TIMEOUT_S)
    assert [r["logical_date"][:16] for r in first] == [iso(w)[:16] for w in WINDOWS]
    assert all(r["state"] == "success" for r in first), (first, server.log_tail())
    print(f"first backfill done after {time.monotonic() - began:.0f}s")
    print(timings(rest_warehouse))
    if stack.broker is not None:
        _check_the_celery_workers_ran_it(stack, [r["dag_run_id"] for r in first])

    rest = pipeline_checksums(rest_warehouse)
    assert rest["pipeline_runs"][0] == len(reference_runs)
    assert rest["posts"][0] > 0
    assert rest == expected, (
        runs_table(rest_warehouse) + "\n--- one by one ---\n" + runs_table(fresh_db)
    )
    assert successful_dag_runs(rest_warehouse) == len(reference_runs)  # the listener ran here

    # re-run the last two: a re-run of completed intervals changes nothing (2, not 4: time)
    second = backfill(server, WINDOWS[-2], BACKFILL_TO, "completed")
    assert [r["logical_date"][:16] for r in second] == [iso(w)[:16] for w in WINDOWS[-2:]]
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
