"""The CeleryExecutor variant of the loopback Airflow stack: what docker-compose.yml runs.

As processes on loopback instead of containers:

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
"""

from __future__ import annotations

import subprocess
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg2
import redis
import yaml

from tests.airflow_stack import DAG_ID, ROOT, VENV_BIN, Airflow, start_component

REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
# No other test uses Redis; the per-run key prefix is what keeps concurrent runs apart.
REDIS_DB = 11
WORKERS = ("tp-worker-a", "tp-worker-b")
WORKER_CONCURRENCY = 2  # two workers x 2 = [core] parallelism 4, on 2 cores
MIGRATE_TIMEOUT_S = 240


@dataclass(frozen=True)
class Broker:
    url: str
    key_prefix: str
    queue: str


def redis_client() -> redis.Redis | None:
    """The machine's Redis, or None when none answers (the stack is then `airflow standalone`)."""
    client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=REDIS_DB, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.exceptions.RedisError:
        client.close()
        return None
    return client


def new_broker() -> Broker:
    run = uuid.uuid4().hex[:12]
    return Broker(
        url=f"redis://{REDIS_HOST}:{REDIS_PORT}/{REDIS_DB}",
        key_prefix=f"tp-test-{run}:",
        queue=f"tp_test_{run}",
    )


def drop_broker_keys(client: redis.Redis, broker: Broker) -> None:
    for key in client.scan_iter(match=f"{broker.key_prefix}*"):
        client.delete(key)


def compose() -> dict[str, Any]:
    return dict(yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8")))


def compose_worker_env() -> dict[str, str]:
    """The airflow-worker service's environment in docker-compose.yml (YAML merge keys applied)."""
    return {k: str(v) for k, v in compose()["services"]["airflow-worker"]["environment"].items()}


def celery_env(env: dict[str, str], broker: Broker, metadata_url: str) -> dict[str, str]:
    """The stack's environment with compose's Celery settings, on the test's broker and DB."""
    worker = compose_worker_env()
    backend_scheme = worker["AIRFLOW__CELERY__RESULT_BACKEND"].split("://", 1)[0]
    metadata_location = metadata_url.split("://", 1)[1]
    return {
        **env,
        "AIRFLOW__CORE__EXECUTOR": worker["AIRFLOW__CORE__EXECUTOR"],
        "AIRFLOW__CELERY__BROKER_URL": broker.url,
        # compose's scheme and driver (db+postgresql+psycopg2), on the test's metadata DB
        "AIRFLOW__CELERY__RESULT_BACKEND": f"{backend_scheme}://{metadata_location}",
        "AIRFLOW__CELERY__WORKER_CONCURRENCY": str(WORKER_CONCURRENCY),
        # warm workers (tickerpulse.preload imported before the pool forks), as compose's
        "AIRFLOW__CELERY__EXTRA_CELERY_CONFIG": worker["AIRFLOW__CELERY__EXTRA_CELERY_CONFIG"],
        "AIRFLOW__CELERY_BROKER_TRANSPORT_OPTIONS__GLOBAL_KEYPREFIX": broker.key_prefix,
        # the queue every task is sent to, unless it names another
        "AIRFLOW__OPERATORS__DEFAULT_QUEUE": broker.queue,
    }


def boot(server: Airflow, env: dict[str, str], workdir: Path, broker: Broker) -> None:
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


def task_instances(metadata_dsn: str, run_ids: list[str]) -> list[tuple[Any, ...]]:
    """(task_id, map_index, state, hostname, queue) of every task instance of those runs."""
    with psycopg2.connect(metadata_dsn) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT task_id, map_index, state, hostname, queue FROM task_instance"
            " WHERE dag_id = %s AND run_id = ANY(%s) ORDER BY run_id, task_id, map_index",
            (DAG_ID, run_ids),
        )
        return cur.fetchall()


def celery_results(metadata_dsn: str) -> Counter[str]:
    """Task results by status in Celery's result backend (the metadata DB, as in compose)."""
    with psycopg2.connect(metadata_dsn) as conn, conn.cursor() as cur:
        cur.execute("SELECT status, count(*) FROM celery_taskmeta GROUP BY status")
        return Counter({status: count for status, count in cur.fetchall()})


def compose_worker_healthcheck(
    env: dict[str, str], worker: str
) -> subprocess.CompletedProcess[str]:
    """docker-compose.yml's airflow-worker healthcheck, run as compose runs it in that container."""
    kind, command = compose()["services"]["airflow-worker"]["healthcheck"]["test"]
    assert kind == "CMD-SHELL"
    return subprocess.run(
        ["sh", "-c", command.replace("$$", "$")],  # compose's escape for a literal $
        env={**env, "HOSTNAME": worker},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
