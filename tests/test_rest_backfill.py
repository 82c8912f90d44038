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

import json
import os
import secrets
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg2
import pytest

from tests.conftest import new_database
from tickerpulse.warehouse.checksum import pipeline_checksums

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(os.environ.get("VIRTUAL_ENV", str(ROOT / ".venv"))) / "bin"
DAG_ID = "reddit_sentiment"
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
PRELOAD = (
    "pandas",
    "pyarrow.parquet",
    "great_expectations",
    "tickerpulse.stages.extract",
    "tickerpulse.stages.validate",
    "tickerpulse.stages.filter",
    "tickerpulse.stages.plan",
    "tickerpulse.stages.score",
    "tickerpulse.stages.prices",
    "tickerpulse.stages.load",
    "tickerpulse.stages.aggregate",
    "tickerpulse.scoring.offline",
    "tickerpulse.sources.factory",
    "tickerpulse.sources.prices_replay",
    "tickerpulse.sources.reddit_replay",
)
FETCH_LOGS = frozenset({"price_coverage"})
START_TIMEOUT_S = 120
RUN_TIMEOUT_S = 150


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")


class _Busy(Exception):
    """The API answered 503: the metadata DB (SQLite) was locked; try again."""


@dataclass
class Airflow:
    base_url: str
    home: Path
    log_path: Path
    proc: subprocess.Popen[bytes]
    token: str = ""

    def request(self, method: str, path: str, body: Any = None, attempts: int = 10) -> Any:
        """One API call; a 503 (SQLite busy under the scheduler) is retried, others raise."""
        for _ in range(attempts - 1):
            try:
                return self._request(method, path, body)
            except _Busy:
                time.sleep(1)
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
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop the process group this test started (standalone and every child it spawned)."""
    if proc.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, 30), (signal.SIGKILL, 10)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def _sqlalchemy_url(dsn: str) -> str:
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
        yield _sqlalchemy_url(dsn)


@pytest.fixture
def airflow_server(rest_warehouse: str, airflow_metadata: str, tmp_path: Path) -> Iterator[Airflow]:
    port = _free_port()
    home = tmp_path / "airflow-home"
    home.mkdir()
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
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{base_url}/execution/",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": airflow_metadata,
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(port),
            "AIRFLOW__API__WORKERS": "1",
            "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(32),
            "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
            "AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME": "0.2",
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "600",
            "DATABASE_URL": rest_warehouse,
            # one home for both sides: its path is part of pipeline_runs.dq_docs_path
            "TICKERPULSE_HOME": str(tmp_path / "home"),
            "TICKERPULSE_LAKE_URL": (tmp_path / "rest-lake").as_uri(),
            "TICKERPULSE_REDDIT_SOURCE": "replay",
            "TICKERPULSE_PRICE_SOURCE": "replay",
            "TICKERPULSE_SCORER": "offline",
            "PYTHONPATH": os.pathsep.join([str(ROOT / "include"), str(ROOT)]),
            # standalone starts each component as `airflow …` found on PATH
            "PATH": os.pathsep.join([str(VENV_BIN), os.environ.get("PATH", "")]),
            "NO_PROXY": "127.0.0.1,localhost",
            # warm LocalExecutor workers (plugins/tickerpulse_listener.py): ~4x faster tasks here
            "TICKERPULSE_PRELOAD_MODULES": ",".join(PRELOAD),
            "YF_DISABLE_CURL_CFFI": "1",
        }
    )
    log_path = tmp_path / "standalone.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [str(VENV_BIN / "airflow"), "standalone"],
            env=env,
            cwd=str(tmp_path),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so teardown stops every child
        )
    server = Airflow(base_url, home, log_path, proc=proc)
    try:
        yield server  # not up yet: the test does its one-by-one runs while Airflow boots
    finally:
        _stop(proc)


def _wait_until_up(server: Airflow) -> None:
    proc = server.proc
    deadline = time.monotonic() + START_TIMEOUT_S
    password_file = server.home / "simple_auth_manager_passwords.json.generated"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"airflow standalone exited:\n{server.log_tail()}")
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


def _wait_for_run(server: Airflow, run_id: str) -> str:
    deadline = time.monotonic() + RUN_TIMEOUT_S
    while time.monotonic() < deadline:
        state = server.request("GET", f"/api/v2/dags/{DAG_ID}/dagRuns/{run_id}")["state"]
        if state in {"success", "failed"}:
            return str(state)
        time.sleep(1)
    raise AssertionError(f"run {run_id} did not finish:\n{server.log_tail()}")


def _backfill(
    server: Airflow, reprocess: str, span: tuple[datetime, datetime] = (BACKFILL_FROM, BACKFILL_TO)
) -> list[dict[str, Any]]:
    """Create a backfill over `span` (the 6 windows), wait for it; its runs, oldest first."""
    body = {
        "dag_id": DAG_ID,
        "from_date": _iso(span[0]),
        "to_date": _iso(span[1]),
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
    deadline = time.monotonic() + RUN_TIMEOUT_S * 2
    while time.monotonic() < deadline:
        if server.request("GET", f"/api/v2/backfills/{backfill_id}")["completed_at"]:
            break
        time.sleep(1)
    else:
        raise AssertionError(f"backfill {backfill_id} did not complete:\n{server.log_tail()}")
    runs = server.request(
        "GET", f"/api/v2/dags/{DAG_ID}/dagRuns?run_type=backfill&order_by=logical_date&limit=50"
    )["dag_runs"]
    return [r for r in runs if r.get("backfill_id") == backfill_id] or runs


def _runs_table(dsn: str) -> str:
    """pipeline_runs as text: what differs when the checksums do."""
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute("SELECT * FROM tickerpulse.pipeline_runs ORDER BY interval_start")
        return "\n".join(str(row) for row in cur.fetchall())


def _timings(dsn: str) -> str:
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


def _one_by_one(dsn: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same runs, in the same order, with dag.test() in this process."""
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
    runs = [(TRIGGER_LOGICAL, TRIGGER_PARAMS)] + [
        (window + timedelta(minutes=30), None) for window in WINDOWS
    ]
    for logical, conf in runs:
        # a fresh DAG object per run: dag.test(run_conf=…) leaves the conf in dag.params
        dag = DagBag(dag_folder=str(ROOT / "dags"), safe_mode=False).get_dag(DAG_ID)
        for task in dag.tasks:
            task.retries = 0
        dag_run = dag.test(logical_date=logical, run_conf=conf)
        assert str(getattr(dag_run.state, "value", dag_run.state)) == "success", logical


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
    _one_by_one(fresh_db, tmp_path, monkeypatch)
    expected = pipeline_checksums(fresh_db)
    print(f"one-by-one runs done after {time.monotonic() - began:.0f}s")
    _wait_until_up(server)
    print(f"Airflow up after {time.monotonic() - began:.0f}s")
    # score runs in the "llm" pool (rate limits); compose's airflow-init creates it the same way
    server.request("POST", "/api/v2/pools", {"name": "llm", "slots": 4, "include_deferred": False})
    triggered = server.request(
        "POST",
        f"/api/v2/dags/{DAG_ID}/dagRuns",
        {"logical_date": _iso(TRIGGER_LOGICAL), "conf": TRIGGER_PARAMS},
    )
    assert triggered["conf"] == TRIGGER_PARAMS
    assert _wait_for_run(server, triggered["dag_run_id"]) == "success", server.log_tail()
    print(f"triggered run done after {time.monotonic() - began:.0f}s")

    first = _backfill(server, "none")
    assert [r["logical_date"][:16] for r in first] == [_iso(w)[:16] for w in WINDOWS]
    assert all(r["state"] == "success" for r in first), first
    print(f"first backfill done after {time.monotonic() - began:.0f}s")
    print(_timings(rest_warehouse))

    rest = pipeline_checksums(rest_warehouse)
    assert rest["pipeline_runs"][0] == 7 and rest["posts"][0] > 0
    assert rest == expected, (
        _runs_table(rest_warehouse) + "\n--- one by one ---\n" + _runs_table(fresh_db)
    )

    with psycopg2.connect(rest_warehouse) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM tickerpulse.dag_runs WHERE dag_id = %s AND state = 'success'",
            (DAG_ID,),
        )
        assert cur.fetchone()[0] == 7  # the listener ran in the stack

    second = _backfill(server, "completed")
    assert len(second) == 6 and all(r["state"] == "success" for r in second), second
    again = pipeline_checksums(rest_warehouse)
    # price_coverage logs which price ranges were fetched; a re-run may log more fetches (cache
    # bookkeeping, not pipeline output). Every other table must be byte-identical.
    assert {k: v for k, v in again.items() if k not in FETCH_LOGS} == {
        k: v for k, v in rest.items() if k not in FETCH_LOGS
    }
    print(f"second backfill done after {time.monotonic() - began:.0f}s")

    # Before the start date (default 2024-03-04T00:00Z): the window 23:30–00:00 the day before.
    early = datetime(2024, 3, 3, 23, 30, tzinfo=UTC)
    (refused,) = _backfill(server, "none", (early, early))
    assert refused["state"] == "failed", refused
    tis = server.request(
        "GET", f"/api/v2/dags/{DAG_ID}/dagRuns/{refused['dag_run_id']}/taskInstances"
    )["task_instances"]
    extract = next(ti for ti in tis if ti["task_id"] == "extract")
    assert (extract["state"], extract["try_number"]) == ("failed", 1)  # no retries
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
