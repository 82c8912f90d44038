"""Scale-out, for real: a backfill of reddit_sentiment on two Celery workers.

What docker-compose.yml runs, as processes on loopback instead of containers:

* Airflow's metadata in a fresh PostgreSQL database, migrated with `airflow db migrate` (compose's
  airflow-init), then one process per component: `airflow api-server`, `airflow scheduler`
  (CeleryExecutor), `airflow dag-processor` and two `airflow celery worker`s. No triggerer:
  reddit_sentiment has no deferrable task.
* The broker is this machine's Redis, the result backend the metadata database (`db+postgresql`),
  as in compose. Keys carry a per-run prefix and tasks a per-run queue name, so two runs of the
  suite at once never take each other's tasks.
* Each worker has its own Celery node name (`celery@tp-worker-a`, as compose's containers are
  `celery@$HOSTNAME`) and reports its own hostname to Airflow (tests/worker_hostname.py), so where
  every task instance ran is visible in the metadata DB.

The test backfills 4 intervals of the shipped sample through `POST /api/v2/backfills`, then checks
that every task instance ran on one of the two workers and both ran some, that Celery recorded a
result for each, that compose's worker healthcheck answers, and that the warehouse equals the same
4 intervals run one by one with `dag.test()` in another fresh database. Without Redis it skips.
"""

from __future__ import annotations

import subprocess
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg2
import pytest
import redis
import yaml
from tools.warehouse_checksum import pipeline_checksums

from tests.airflow_stack import (
    DAG_ID,
    ROOT,
    VENV_BIN,
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
    wait_until_up,
)
from tests.conftest import new_database

# a stack of five Airflow processes on 2 cores: minutes, more when the host is busy
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]

REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
# No other test uses Redis; the per-run key prefix is what keeps concurrent runs apart.
REDIS_DB = 11
WORKERS = ("tp-worker-a", "tp-worker-b")
WORKER_CONCURRENCY = 2  # two workers x 2 = [core] parallelism 4, on 2 cores
# Backfill logical date X processes [X, X + 30 min): 14:00 … 15:30 are the windows 14:00–16:00.
BACKFILL_FROM = datetime(2024, 3, 5, 14, 0, tzinfo=UTC)
BACKFILL_TO = datetime(2024, 3, 5, 15, 30, tzinfo=UTC)
WINDOWS = [BACKFILL_FROM + timedelta(minutes=30 * i) for i in range(4)]
MIGRATE_TIMEOUT_S = 240
START_TIMEOUT_S = 180
BACKFILL_TIMEOUT_S = 600


@dataclass(frozen=True)
class Broker:
    url: str
    key_prefix: str
    queue: str


@dataclass
class CeleryStack:
    server: Airflow
    metadata_dsn: str
    broker: Broker
    env: dict[str, str]  # what every component was started with (the workers add a hostname)
    booted: Future[None]  # migrate, then start every component


def _redis_client() -> redis.Redis:
    """The machine's Redis, or a skip that says why the test cannot run without it."""
    client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=REDIS_DB, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.exceptions.RedisError as exc:
        pytest.skip(
            f"no Redis on {REDIS_HOST}:{REDIS_PORT} ({exc}): the CeleryExecutor needs it as its "
            "broker. CI runs one; locally: redis-server --port 6379 --save ''"
        )
    return client


@pytest.fixture
def celery_broker() -> Iterator[Broker]:
    client = _redis_client()
    run = uuid.uuid4().hex[:12]
    broker = Broker(
        url=f"redis://{REDIS_HOST}:{REDIS_PORT}/{REDIS_DB}",
        key_prefix=f"tp-test-{run}:",
        queue=f"tp_test_{run}",
    )
    try:
        yield broker
    finally:
        for key in client.scan_iter(match=f"{broker.key_prefix}*"):
            client.delete(key)
        client.close()


@pytest.fixture
def celery_warehouse(pg_admin_dsn: str) -> Iterator[str]:
    """The warehouse the Celery workers load (fresh_db is the one-by-one side)."""
    with new_database(pg_admin_dsn, "tp_celery") as dsn:
        yield dsn


@pytest.fixture
def airflow_metadata_dsn(pg_admin_dsn: str) -> Iterator[str]:
    with new_database(pg_admin_dsn, "tp_airflow") as dsn:
        yield dsn


def _compose() -> dict[str, Any]:
    return dict(yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8")))


def _compose_worker_env() -> dict[str, str]:
    """The airflow-worker service's environment in docker-compose.yml (YAML merge keys applied)."""
    return {k: str(v) for k, v in _compose()["services"]["airflow-worker"]["environment"].items()}


def _boot(server: Airflow, env: dict[str, str], workdir: Path, broker: Broker) -> None:
    """Compose's order: migrate the metadata DB (airflow-init), then start the components."""
    with (workdir / "migrate.log").open("wb") as log:
        migrate = subprocess.run(
            [str(VENV_BIN / "airflow"), "db", "migrate"],
            env=env,
            cwd=str(workdir),
            stdout=log,
            stderr=subprocess.STDOUT,
            timeout=MIGRATE_TIMEOUT_S,
            check=False,
        )
    if migrate.returncode != 0:
        tail = (workdir / "migrate.log").read_text(errors="replace")[-4000:]
        raise AssertionError(f"airflow db migrate failed:\n{tail}")
    for name in ("api-server", "scheduler", "dag-processor"):
        server.components.append(start_component(name, [name], env, workdir))
    for name in WORKERS:
        worker_env = {
            **env,
            "AIRFLOW__CORE__HOSTNAME_CALLABLE": "tests.worker_hostname.hostname",
            "TP_TEST_WORKER_HOSTNAME": name,
        }
        argv = [
            "celery",
            "worker",
            "--celery-hostname",
            f"celery@{name}",
            "--queues",
            broker.queue,
            "--concurrency",
            str(WORKER_CONCURRENCY),
            "--pid",
            str(workdir / f"{name}.pid"),  # the default pid file is one per AIRFLOW_HOME
            "--skip-serve-logs",  # its port is one per machine; the logs are on a shared disk
            "--without-mingle",
            "--without-gossip",
        ]
        server.components.append(start_component(name, argv, worker_env, workdir))


@pytest.fixture
def celery_stack(
    celery_broker: Broker,
    celery_warehouse: str,
    airflow_metadata_dsn: str,
    tmp_path: Path,
) -> Iterator[CeleryStack]:
    port = free_port()
    home = tmp_path / "airflow-home"
    home.mkdir()
    metadata_url = sqlalchemy_url(airflow_metadata_dsn)
    env = airflow_env(
        home=home,
        port=port,
        metadata_url=metadata_url,
        warehouse_dsn=celery_warehouse,
        tmp_path=tmp_path,
    )
    compose = _compose_worker_env()
    backend_scheme = compose["AIRFLOW__CELERY__RESULT_BACKEND"].split("://", 1)[0]
    metadata_location = metadata_url.split("://", 1)[1]
    env.update(
        {
            "AIRFLOW__CORE__EXECUTOR": compose["AIRFLOW__CORE__EXECUTOR"],
            "AIRFLOW__CELERY__BROKER_URL": celery_broker.url,
            # compose's scheme and driver (db+postgresql+psycopg2), on the test's metadata DB
            "AIRFLOW__CELERY__RESULT_BACKEND": f"{backend_scheme}://{metadata_location}",
            "AIRFLOW__CELERY__WORKER_CONCURRENCY": str(WORKER_CONCURRENCY),
            # warm workers (tickerpulse.preload imported before the pool forks), as compose's
            "AIRFLOW__CELERY__EXTRA_CELERY_CONFIG": compose["AIRFLOW__CELERY__EXTRA_CELERY_CONFIG"],
            "AIRFLOW__CELERY_BROKER_TRANSPORT_OPTIONS__GLOBAL_KEYPREFIX": celery_broker.key_prefix,
            # the queue every task is sent to, unless it names another
            "AIRFLOW__OPERATORS__DEFAULT_QUEUE": celery_broker.queue,
        }
    )
    server = Airflow(f"http://127.0.0.1:{port}", home)
    pool = ThreadPoolExecutor(max_workers=1)
    booted = pool.submit(_boot, server, env, tmp_path, celery_broker)
    try:
        # not up yet: the test does its one-by-one runs while Airflow migrates and boots
        yield CeleryStack(server, airflow_metadata_dsn, celery_broker, env, booted)
    finally:
        pool.shutdown(wait=True)  # no component may start after the teardown below
        server.stop()


def _task_instances(metadata_dsn: str, run_ids: list[str]) -> list[tuple[Any, ...]]:
    """(task_id, map_index, state, hostname, queue) of every task instance of those runs."""
    with psycopg2.connect(metadata_dsn) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT task_id, map_index, state, hostname, queue FROM task_instance"
            " WHERE dag_id = %s AND run_id = ANY(%s) ORDER BY run_id, task_id, map_index",
            (DAG_ID, run_ids),
        )
        return cur.fetchall()


def _celery_results(metadata_dsn: str) -> Counter[str]:
    """Task results by status in Celery's result backend (the metadata DB, as in compose)."""
    with psycopg2.connect(metadata_dsn) as conn, conn.cursor() as cur:
        cur.execute("SELECT status, count(*) FROM celery_taskmeta GROUP BY status")
        return Counter({status: count for status, count in cur.fetchall()})


def _compose_worker_healthcheck(
    env: dict[str, str], worker: str
) -> subprocess.CompletedProcess[str]:
    """docker-compose.yml's airflow-worker healthcheck, run as compose runs it in that container."""
    kind, command = _compose()["services"]["airflow-worker"]["healthcheck"]["test"]
    assert kind == "CMD-SHELL"
    return subprocess.run(
        ["sh", "-c", command.replace("$$", "$")],  # compose's escape for a literal $
        env={**env, "HOSTNAME": worker},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_backfill_on_two_celery_workers_matches_dag_test(
    celery_stack: CeleryStack,
    celery_warehouse: str,
    fresh_db: str,
    airflow_db: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stack, server = celery_stack, celery_stack.server
    began = time.monotonic()
    run_one_by_one(
        fresh_db, tmp_path, monkeypatch, [(w + timedelta(minutes=30), None) for w in WINDOWS]
    )
    expected = pipeline_checksums(fresh_db)
    print(f"one-by-one runs done after {time.monotonic() - began:.0f}s")
    stack.booted.result(timeout=MIGRATE_TIMEOUT_S)
    wait_until_up(server, timeout_s=START_TIMEOUT_S)
    print(f"Airflow up after {time.monotonic() - began:.0f}s")
    server.request("POST", "/api/v2/pools", {"name": "llm", "slots": 4, "include_deferred": False})

    runs = backfill(server, BACKFILL_FROM, BACKFILL_TO, "none", timeout_s=BACKFILL_TIMEOUT_S)
    print(f"backfill done after {time.monotonic() - began:.0f}s")
    print(timings(celery_warehouse))
    assert [r["logical_date"][:16] for r in runs] == [iso(w)[:16] for w in WINDOWS]
    assert all(r["state"] == "success" for r in runs), (runs, server.log_tail())

    instances = _task_instances(stack.metadata_dsn, [r["dag_run_id"] for r in runs])
    assert instances, "the backfill's runs have no task instances"
    assert {state for _, _, state, _, _ in instances} == {"success"}, instances
    assert {queue for *_, queue in instances} == {stack.broker.queue}
    per_worker = Counter(hostname for _, _, _, hostname, _ in instances)
    print(f"task instances per worker: {dict(per_worker)}")
    assert set(per_worker) == set(WORKERS), per_worker  # both ran tasks, and nothing else did
    results = _celery_results(stack.metadata_dsn)
    assert results["SUCCESS"] >= len(instances), results

    keys = redis.Redis.from_url(stack.broker.url).keys("*")
    assert any(k.decode().startswith(stack.broker.key_prefix) for k in keys)
    assert not any(k.decode().startswith("_kombu.") for k in keys), "a key without the prefix"

    health = _compose_worker_healthcheck(stack.env, WORKERS[0])
    assert health.returncode == 0, health.stdout + health.stderr
    assert f"celery@{WORKERS[0]}: OK" in health.stdout

    got = pipeline_checksums(celery_warehouse)
    assert got["pipeline_runs"][0] == len(WINDOWS)
    assert got["posts"][0] > 0
    assert got == expected, (
        runs_table(celery_warehouse) + "\n--- dag.test ---\n" + runs_table(fresh_db)
    )
    assert successful_dag_runs(celery_warehouse) == len(WINDOWS)  # the listener ran in the stack
    print(f"done after {time.monotonic() - began:.0f}s")
