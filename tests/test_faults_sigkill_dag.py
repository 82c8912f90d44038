"""A real DAG run is killed with SIGKILL while its `load` task is mid-transaction (issue 8).

`reddit_sentiment` runs through `dag.test()` for one interval of the shipped sample, in its own
process (tests/dag_test_process.py), as a worker runs a task. The kill point is the one of
test_faults_postgres: a test connection holds a SHARE lock on pipeline_runs, so `load` writes
all the interval's rows and then waits on its last statement. Once that backend shows up in
pg_stat_activity holding row locks on posts, the process gets SIGKILL (no handler, no cleanup,
no Airflow failure callback). The server ends the orphaned transaction itself.

The promises: the warehouse is exactly what it was before the kill (the tasks before `load` had
committed, `load` had not); a new `dag.test()` of the same interval, in a new process, ends in
success and leaves the warehouse equal, table by table (checksums), to a fault-free run of the
interval into another fresh database. That reference runs in the killed process first, and the
re-run's process is started with it and waits, imports done, for the word to run: the Airflow and
Great Expectations imports (~15 s a process) are paid twice in all, side by side.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from tools.warehouse_checksum import pipeline_checksums

from tests.conftest import new_database
from tests.test_faults_postgres import (
    START,
    PipelineRunsLock,
    blocked_loader,
    wait_gone,
)
from tickerpulse.warehouse.migrate import migrate

ROOT = Path(__file__).resolve().parents[1]
LOGICAL_DATE = START + timedelta(minutes=30)  # a manual run processes the window before its date
RUN_WAIT_S = 600.0  # generous: two cores shared with other jobs; a crash is seen at once anyway

pytestmark = pytest.mark.slow


def _dag_process(
    env: dict[str, str], out: Path, log: Path, dsns: list[str], on_go: bool = False
) -> subprocess.Popen[bytes]:
    """`dag.test()` of the interval into each warehouse of `dsns`, in a new process.

    With `on_go` it imports and parses, then waits for a line on its stdin before it runs.
    """
    with log.open("wb") as handle:  # a file, not a pipe: nobody reads while the test waits
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.dag_test_process",
                *(["--on-go"] if on_go else []),
                LOGICAL_DATE.isoformat(),
                str(out),
                *dsns,
            ],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE if on_go else subprocess.DEVNULL,
            stdout=handle,
            stderr=subprocess.STDOUT,
        )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.kill()
        process.wait()


def _states(out: Path) -> list[str]:
    return list(json.loads(out.read_text(encoding="utf-8"))) if out.exists() else []


def _tail(log: Path) -> str:
    return log.read_text(encoding="utf-8", errors="replace")[-4000:]


def _dag_run_state() -> str:
    """The state Airflow's metadata DB records for the interval's DagRun."""
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        dag_run = session.scalar(
            select(DagRun).where(
                DagRun.dag_id == "reddit_sentiment", DagRun.logical_date == LOGICAL_DATE
            )
        )
        assert dag_run is not None
        return str(getattr(dag_run.state, "value", dag_run.state))


def test_sigkill_mid_load_of_a_dag_run_then_the_rerun_gives_the_fault_free_warehouse(
    airflow_db: None, pg_admin_dsn: str, tmp_path: Path
) -> None:
    env = {
        **os.environ,  # the session's Airflow home and metadata DB (see the airflow_db fixture)
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
        "TICKERPULSE_HOME": str(tmp_path / "home"),
        "TICKERPULSE_LAKE_URL": (tmp_path / "lake").as_uri(),  # one lake: the same paths stored
        "TICKERPULSE_REDDIT_SOURCE": "replay",
        "TICKERPULSE_PRICE_SOURCE": "replay",
        "TICKERPULSE_SCORER": "offline",
    }
    with (
        new_database(pg_admin_dsn, "tp_dagkill_ref") as reference,
        new_database(pg_admin_dsn, "tp_dagkill") as warehouse,
    ):
        migrate(warehouse)  # the lock needs the table; the run's own migrate then has no work
        first_out, first_log = tmp_path / "first.json", tmp_path / "first.log"
        rerun_out, rerun_log = tmp_path / "rerun.json", tmp_path / "rerun.log"
        lock = PipelineRunsLock(warehouse)
        first = _dag_process(env, first_out, first_log, [reference, warehouse])
        # The re-run's process, started now so its imports overlap the first run; it runs
        # nothing until it is told to, after the kill.
        rerun = _dag_process(env, rerun_out, rerun_log, [warehouse], on_go=True)
        try:
            try:
                backend = blocked_loader(warehouse, lambda: first.poll() is None, RUN_WAIT_S)
                before = pipeline_checksums(warehouse)  # what is committed: tasks before `load`
                os.kill(first.pid, signal.SIGKILL)
                assert first.wait(timeout=60) == -signal.SIGKILL
            except AssertionError as error:
                raise AssertionError(f"{error}\n--- first run ---\n{_tail(first_log)}") from None
            finally:
                lock.release()
                _stop(first)
            assert _states(first_out) == ["success"], _tail(first_log)  # the reference's
            expected = pipeline_checksums(reference)
            assert expected["posts"][0] > 0
            assert expected["pipeline_runs"][0] == 1

            wait_gone(warehouse, backend)  # the server rolled the orphaned transaction back
            after_kill = pipeline_checksums(warehouse)
            assert after_kill == before
            assert after_kill["dq_results"][0] > 0, "validate had committed before the kill"
            assert after_kill["posts"][0] == 0
            assert after_kill["pipeline_runs"][0] == 0
            assert _dag_run_state() == "running"  # the killed run, as a dead worker leaves it
            assert _states(rerun_out) == []  # the re-run has not started yet

            assert rerun.stdin is not None
            rerun.stdin.write(b"go\n")
            rerun.stdin.close()
            assert rerun.wait(timeout=RUN_WAIT_S) == 0, _tail(rerun_log)
        finally:
            _stop(first)
            _stop(rerun)
        assert _states(rerun_out) == ["success"], _tail(rerun_log)
        assert _dag_run_state() == "success"
        assert pipeline_checksums(warehouse) == expected
