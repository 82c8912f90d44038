"""Airflow on loopback, driven through its REST API the way the UI drives it.

Used by tests/test_rest_backfill.py, which runs the project's DAGs in a real Airflow rather than
in-process (compose's Celery stack from tests/celery_stack.py, or `airflow standalone`), and
compares the warehouse a backfill leaves with the one `dag.test()` leaves for the same intervals,
so the reference runs live here too.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg2
import pytest

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(os.environ.get("VIRTUAL_ENV", str(ROOT / ".venv"))) / "bin"
DAG_ID = "reddit_sentiment"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")


def sqlalchemy_url(dsn: str) -> str:
    """The same database as a SQLAlchemy URL for Airflow's metadata connection."""
    if dsn.startswith("postgres"):
        return "postgresql+psycopg2://" + dsn.split("://", 1)[1]
    parts = dict(piece.split("=", 1) for piece in dsn.split())
    user = parts.get("user", "postgres")
    password = f":{parts['password']}" if parts.get("password") else ""
    return (
        f"postgresql+psycopg2://{user}{password}@{parts.get('host', '127.0.0.1')}:"
        f"{parts.get('port', '5432')}/{parts['dbname']}"
    )


def airflow_env(
    *, home: Path, port: int, metadata_url: str, warehouse_dsn: str, tmp_path: Path
) -> dict[str, str]:
    """The environment every Airflow process of one test stack shares.

    This process's own AIRFLOW_* and TICKERPULSE_* variables (conftest's temp home, SQLite) are
    left out. Scheduled runs are off ([scheduler] use_job_schedule = False) so only what the test
    asks for runs; DAGs start unpaused, since a backfill's runs of a paused DAG never start.
    """
    base_url = f"http://127.0.0.1:{port}"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AIRFLOW", "TICKERPULSE_", "DATABASE_URL"))
    }
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__PARALLELISM": "4",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
            # every process that starts tasks must know where the Execution API is
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{base_url}/execution/",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metadata_url,
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(port),
            "AIRFLOW__API__WORKERS": "1",
            # the API server signs task tokens, workers present them: one shared secret
            "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(32),
            # a task's calls to the Execution API: the 5 s default is too short on a busy host
            # (the API server's first execution call alone took 36 s there), and a task whose
            # start call times out fails
            "AIRFLOW__WORKERS__EXECUTION_API_TIMEOUT": "60",
            "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
            "AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME": "0.2",
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "600",
            # re-parse each DAG file every 2 minutes, not every 30 s: CPU the tasks need on 2
            # cores. A parse that failed (say, a timeout on a busy host) is retried within 2 min.
            "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "120",
            # parsing reddit_sentiment.py took 32 s at a load average of 20: past the 30 s default
            "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": "120",
            "AIRFLOW__DAG_PROCESSOR__DAG_FILE_PROCESSOR_TIMEOUT": "180",
            "DATABASE_URL": warehouse_dsn,
            # one home for both sides: its path is part of pipeline_runs.dq_docs_path
            "TICKERPULSE_HOME": str(tmp_path / "home"),
            "TICKERPULSE_LAKE_URL": (tmp_path / "stack-lake").as_uri(),
            "TICKERPULSE_REDDIT_SOURCE": "replay",
            "TICKERPULSE_PRICE_SOURCE": "replay",
            "TICKERPULSE_SCORER": "offline",
            "PYTHONPATH": os.pathsep.join([str(ROOT / "include"), str(ROOT)]),
            # standalone starts each component as `airflow …` found on PATH
            "PATH": os.pathsep.join([str(VENV_BIN), os.environ.get("PATH", "")]),
            "NO_PROXY": "127.0.0.1,localhost",
            "YF_DISABLE_CURL_CFFI": "1",
        }
    )
    return env


@dataclass
class Component:
    """One Airflow process (`airflow standalone`, `airflow scheduler`, a Celery worker…)."""

    name: str
    proc: subprocess.Popen[bytes]
    log_path: Path

    def log_tail(self, lines: int) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def start_component(
    name: str, argv: Sequence[str], env: dict[str, str], workdir: Path
) -> Component:
    """Start `airflow <argv>` in its own process group, its output in workdir/<name>.log."""
    log_path = workdir / f"{name}.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [str(VENV_BIN / "airflow"), *argv],
            env=env,
            cwd=str(workdir),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so teardown stops every child
        )
    return Component(name, proc, log_path)


def stop_process_groups(procs: Sequence[subprocess.Popen[bytes]]) -> None:
    """Stop the process groups this test started (each process and every child it spawned)."""
    for sig, wait_s in ((signal.SIGTERM, 30.0), (signal.SIGKILL, 10.0)):
        running = [proc for proc in procs if proc.poll() is None]
        for proc in running:
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + wait_s
        for proc in running:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                continue


class _Busy(Exception):
    """The API answered 503: the metadata DB (SQLite) was locked; try again."""


@dataclass
class Airflow:
    """A running Airflow: its API, its home, and the processes that make it up."""

    base_url: str
    home: Path
    components: list[Component] = field(default_factory=list)
    token: str = ""

    def request(self, method: str, path: str, body: Any = None, attempts: int = 10) -> Any:
        """One API call; a 503 (SQLite busy under the scheduler) is retried, others raise.

        A GET that times out is retried too: on a 2-core host shared with other work the API
        server can stall for tens of seconds, and asking again is harmless.
        """
        for _ in range(attempts - 1):
            try:
                return self._request(method, path, body)
            except _Busy:
                time.sleep(1)
            except TimeoutError:
                if method != "GET":
                    raise
        return self._request(method, path, body)

    def _request(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(f"{self.base_url}{path}", data=data, method=method)
        req.add_header("Content-Type", "application/json")
        if self.token:
            req.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                text = resp.read().decode()
        except urllib.error.HTTPError as exc:
            if exc.code == 503:
                raise _Busy(path) from exc
            raise AssertionError(
                f"{method} {path} -> {exc.code}: {exc.read().decode()[:2000]}"
            ) from exc
        return json.loads(text) if text else None

    def log_tail(self, lines: int = 80) -> str:
        return "\n".join(
            f"--- {c.name} (last {lines} lines) ---\n{c.log_tail(lines)}" for c in self.components
        )

    def check_running(self) -> None:
        """Fail with the logs as soon as any component has exited."""
        for component in self.components:
            if component.proc.poll() is not None:
                raise AssertionError(
                    f"{component.name} exited with {component.proc.returncode}:\n" + self.log_tail()
                )

    def stop(self) -> None:
        """SIGTERM every component at once, then SIGKILL what is left after 30 s."""
        stop_process_groups([component.proc for component in self.components])


def wait_until_up(server: Airflow, timeout_s: float = 120) -> None:
    """Log in (SimpleAuthManager's generated admin password) and wait until DAG_ID is served."""
    deadline = time.monotonic() + timeout_s
    password_file = server.home / "simple_auth_manager_passwords.json.generated"
    while time.monotonic() < deadline:
        server.check_running()
        if password_file.exists():
            try:
                password = json.loads(password_file.read_text())["admin"]
                server.token = ""
                token = server.request(
                    "POST", "/auth/token", {"username": "admin", "password": password}
                )
                server.token = token["access_token"]
                dag = server.request("GET", f"/api/v2/dags/{DAG_ID}")
                if not dag["is_paused"]:
                    return
            except (AssertionError, OSError, ValueError, KeyError):
                pass
        time.sleep(1)
    raise AssertionError(f"Airflow did not serve {DAG_ID} in time:\n{server.log_tail()}")


def wait_for_run(server: Airflow, run_id: str, timeout_s: float = 300) -> str:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        state = server.request("GET", f"/api/v2/dags/{DAG_ID}/dagRuns/{run_id}")["state"]
        if state in {"success", "failed"}:
            return str(state)
        time.sleep(1)
    raise AssertionError(f"run {run_id} did not finish:\n{server.log_tail()}")


def backfill(
    server: Airflow,
    from_date: datetime,
    to_date: datetime,
    reprocess: str,
    timeout_s: float = 600,
) -> list[dict[str, Any]]:
    """Create a backfill (max_active_runs 1, as the docs ask), wait for it; its runs, oldest first.

    Both ends are logical dates and both are included, as in the UI's Backfill dialog.
    """
    body = {
        "dag_id": DAG_ID,
        "from_date": iso(from_date),
        "to_date": iso(to_date),
        "max_active_runs": 1,
        "reprocess_behavior": reprocess,
    }
    known = {
        b["id"] for b in server.request("GET", f"/api/v2/backfills?dag_id={DAG_ID}")["backfills"]
    }
    backfill_id = None
    for _ in range(15):
        try:
            backfill_id = server.request("POST", "/api/v2/backfills", body)["id"]
            break
        except AssertionError as exc:
            # SQLite metadata DB: "Database error" when the scheduler holds the write lock. The
            # transaction was rolled back, unless it was the audit-log write after the commit.
            # 409 "already a running backfill": the previous one is not marked complete yet, or
            # this very request was committed before an error answer; look, then try again.
            message = str(exc)
            if "Database error" not in message and "already a running backfill" not in message:
                raise
            time.sleep(2)
            listed = server.request("GET", f"/api/v2/backfills?dag_id={DAG_ID}")["backfills"]
            new = [b["id"] for b in listed if b["id"] not in known]
            if new:
                backfill_id = max(new)
                break
    assert backfill_id is not None, "could not create the backfill"
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        server.check_running()
        if server.request("GET", f"/api/v2/backfills/{backfill_id}")["completed_at"]:
            break
        time.sleep(1)
    else:
        raise AssertionError(f"backfill {backfill_id} did not complete:\n{server.log_tail()}")
    runs = server.request(
        "GET", f"/api/v2/dags/{DAG_ID}/dagRuns?run_type=backfill&order_by=logical_date&limit=50"
    )["dag_runs"]
    # The dag-run resource does not carry the backfill id, so a backfill's runs are those whose
    # logical date lies in its range (a re-run backfill reuses the same runs).
    return [
        r
        for r in runs
        if from_date <= datetime.fromisoformat(r["logical_date"].replace("Z", "+00:00")) <= to_date
    ]


def runs_table(dsn: str) -> str:
    """pipeline_runs as text: what differs when the checksums do."""
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute("SELECT * FROM tickerpulse.pipeline_runs ORDER BY interval_start")
        return "\n".join(str(row) for row in cur.fetchall())


def timings(dsn: str) -> str:
    """Mean task and run durations the listener recorded: where a run's time goes."""
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT task_id, count(*), round(avg(duration_s)::numeric, 2)"
            " FROM tickerpulse.task_runs GROUP BY 1 ORDER BY 3 DESC"
        )
        tasks = cur.fetchall()
        cur.execute("SELECT round(avg(duration_s)::numeric, 1), count(*) FROM tickerpulse.dag_runs")
        runs = cur.fetchone()
    return f"runs (mean s, n): {runs}; tasks (id, n, mean s): {tasks}"


def successful_dag_runs(dsn: str) -> int:
    """DAG runs the listener plugin recorded as successful: proof it ran inside the stack."""
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM tickerpulse.dag_runs WHERE dag_id = %s AND state = 'success'",
            (DAG_ID,),
        )
        return int(cur.fetchone()[0])


def run_one_by_one(
    dsn: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    runs: Sequence[tuple[datetime, dict[str, Any] | None]],
) -> None:
    """The reference: the same runs, in the same order, with dag.test() in this process.

    `runs` are (logical date, conf) pairs as dag.test() takes them. The Airflow metadata is the
    session's SQLite (conftest's airflow_db fixture); the home is the stack's, its lake its own.
    """
    from airflow.dag_processing.dagbag import DagBag

    for key, value in {
        "DATABASE_URL": dsn,
        "TICKERPULSE_HOME": str(tmp_path / "home"),
        "TICKERPULSE_LAKE_URL": (tmp_path / "seq-lake").as_uri(),
        "TICKERPULSE_REDDIT_SOURCE": "replay",
        "TICKERPULSE_PRICE_SOURCE": "replay",
        "TICKERPULSE_SCORER": "offline",
    }.items():
        monkeypatch.setenv(key, value)
    for logical, conf in runs:
        # a fresh DAG object per run: dag.test(run_conf=…) leaves the conf in dag.params
        dag = DagBag(dag_folder=str(ROOT / "dags"), safe_mode=False).get_dag(DAG_ID)
        for task in dag.tasks:
            task.retries = 0
        dag_run = dag.test(logical_date=logical, run_conf=conf)
        assert str(getattr(dag_run.state, "value", dag_run.state)) == "success", logical
