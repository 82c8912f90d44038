"""The loading backend is killed with pg_terminate_backend in the middle of `load`.

The kill point is deterministic: a second connection holds a SHARE lock on pipeline_runs, so the
load deletes the interval, copies all its rows in, and then blocks on its last statement (the
pipeline_runs upsert) with everything written but uncommitted. The test finds that backend in
pg_stat_activity, checks it holds its row locks, and terminates it. The promise: the transaction
rolls back (the warehouse is exactly as before the load), the retry completes, and the final
warehouse is the fault-free one, table by table (checksums), so nothing is missing or doubled.

The stages before `load` run once per module, against a reference warehouse that also runs the
fault-free loads; the faulted warehouses reuse their lake outputs, as an Airflow retry of `load`
reuses its upstream tasks' XComs.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg2
import pytest
from tools.warehouse_checksum import pipeline_checksums as all_checksums

from tests.conftest import new_database
from tickerpulse.config import load_settings
from tickerpulse.intervals import Interval
from tickerpulse.stages import aggregate, extract, load, plan, prices, score, validate
from tickerpulse.stages import filter as filter_stage
from tickerpulse.stages.context import RunParams, StageContext

# A loaded warehouse per module and killed connections: 6 to 25 s a test.
pytestmark = pytest.mark.slow

START = datetime(2024, 3, 5, 14, 0, tzinfo=UTC)
INTERVALS = (START, START + timedelta(minutes=30))
LOADER_APP = "tickerpulse"  # application_name of the warehouse connections (warehouse.db)


@dataclass
class Prepared:
    """Lake outputs of the stages up to `load`, and the fault-free warehouse's checksums."""

    lake: Path
    home: Path
    upstream: dict[datetime, dict[str, Any]]  # interval start -> validate/filter/score outputs
    reference: dict[str, tuple[int, str]]


def use_warehouse(monkeypatch: pytest.MonkeyPatch, dsn: str, lake: Path, home: Path) -> None:
    for key, value in {
        "DATABASE_URL": dsn,
        "TICKERPULSE_HOME": str(home),
        "TICKERPULSE_LAKE_URL": lake.as_uri(),
        "TICKERPULSE_REDDIT_SOURCE": "replay",
        "TICKERPULSE_PRICE_SOURCE": "replay",
        "TICKERPULSE_SCORER": "offline",
    }.items():
        monkeypatch.setenv(key, value)


def context(start: datetime) -> StageContext:
    """A stage context for the interval at `start`, from the current environment."""
    settings = load_settings()
    params = RunParams.from_params({}, settings)
    return StageContext(Interval(start, start + timedelta(minutes=30)), params, settings)


def load_and_aggregate(start: datetime, upstream: dict[str, Any]) -> None:
    """What the tasks write to the warehouse: validate's results, prices, load, aggregate."""
    ctx = context(start)
    validate.run(ctx, upstream["extract"])  # the same lake files again, and its dq_results
    prices.run(ctx, upstream["filter"])
    finish_load(ctx, upstream)


# Written by extract, which these tests run in the reference warehouse only: the warehouses under
# test get the load and what follows it.
BEFORE_LOAD = frozenset({"interval_coverage"})


def pipeline_checksums(dsn: str) -> dict[str, tuple[int, str]]:
    """The checksums of what load and the tasks after it write."""
    return {k: v for k, v in all_checksums(dsn).items() if k not in BEFORE_LOAD}


def finish_load(ctx: StageContext, upstream: dict[str, Any]) -> None:
    loaded = load.run(ctx, upstream["validate"], upstream["filter"], upstream["scores"])
    aggregate.run(ctx, loaded)


def prepare(admin_dsn: str, root: Path) -> Prepared:
    """Run the whole pipeline fault-free for both intervals into a throwaway warehouse."""
    lake, home = root / "lake", root / "home"
    upstream: dict[datetime, dict[str, Any]] = {}
    with new_database(admin_dsn, "tp_faults_ref") as dsn, pytest.MonkeyPatch.context() as mp:
        use_warehouse(mp, dsn, lake, home)
        for start in INTERVALS:  # in order: filter reads the warehouse's earlier intervals
            ctx = context(start)
            extracted = extract.run(ctx)
            validated = validate.run(ctx, extracted)
            filtered = filter_stage.run(ctx, validated)
            scores = [score.run(ctx, shard) for shard in plan.run(ctx, filtered)]
            upstream[start] = {
                "extract": extracted,
                "validate": validated,
                "filter": filtered,
                "scores": scores,
            }
            load_and_aggregate(start, upstream[start])
        reference = pipeline_checksums(dsn)
    assert reference["posts"][0] > 0
    assert reference["post_sentiment"][0] > 0
    return Prepared(lake, home, upstream, reference)


@pytest.fixture(scope="module")
def prepared(pg_admin_dsn: str, tmp_path_factory: pytest.TempPathFactory) -> Prepared:
    return prepare(pg_admin_dsn, tmp_path_factory.mktemp("faults_pg"))


@pytest.fixture
def warehouse(prepared: Prepared, fresh_db: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    use_warehouse(monkeypatch, fresh_db, prepared.lake, prepared.home)
    yield fresh_db


class PipelineRunsLock:
    """Holds SHARE on pipeline_runs: a load blocks at its upsert there, with its rows written."""

    def __init__(self, dsn: str) -> None:
        self.conn = psycopg2.connect(dsn)
        with self.conn.cursor() as cur:
            cur.execute("LOCK TABLE tickerpulse.pipeline_runs IN SHARE MODE")

    def release(self) -> None:
        self.conn.rollback()
        self.conn.close()


def blocked_loader(dsn: str, alive: Any = lambda: True, wait_s: float = 60.0) -> int:
    """The pid of the warehouse backend that waits on a lock, once it has written rows."""
    deadline = time.monotonic() + wait_s
    conn = _autocommit(dsn)  # each query a new transaction: pg_stat_activity is not frozen
    with conn.cursor() as cur:
        while time.monotonic() < deadline:
            assert alive(), "the load ended before it reached the lock"
            cur.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                " AND application_name = %s AND wait_event_type = 'Lock'",
                (LOADER_APP,),
            )
            row = cur.fetchone()
            if row:
                pid = int(row[0])
                # it is inside its transaction, having written posts (row locks on the table)
                cur.execute(
                    "SELECT count(*) FROM pg_locks WHERE pid = %s AND granted"
                    " AND relation = 'tickerpulse.posts'::regclass AND mode = 'RowExclusiveLock'",
                    (pid,),
                )
                assert cur.fetchone()[0] == 1, "the blocked load had not written posts yet"
                conn.close()
                return pid
            time.sleep(0.05)
    conn.close()
    raise AssertionError("no load blocked on the pipeline_runs lock")


def wait_gone(dsn: str, pid: int, wait_s: float = 30.0) -> None:
    """Until the backend `pid` has ended (its transaction is then rolled back)."""
    deadline = time.monotonic() + wait_s
    conn = _autocommit(dsn)
    with conn.cursor() as cur:
        while time.monotonic() < deadline:
            cur.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (pid,))
            if cur.fetchone() is None:
                break
            time.sleep(0.05)
        else:
            raise AssertionError(f"backend {pid} still alive")
    conn.close()


def _autocommit(dsn: str) -> Any:
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    return conn


def terminate(dsn: str, pid: int) -> None:
    conn = _autocommit(dsn)
    with conn.cursor() as cur:
        cur.execute("SELECT pg_terminate_backend(%s)", (pid,))
        assert cur.fetchone()[0] is True
    conn.close()


def _killed_load(dsn: str, start: datetime, upstream: dict[str, Any]) -> BaseException:
    """Run `load` of the interval in a thread, terminate its backend mid-transaction; the error."""
    ctx = context(start)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            load.run(ctx, upstream["validate"], upstream["filter"], upstream["scores"])
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            errors.append(exc)

    lock = PipelineRunsLock(dsn)
    worker = threading.Thread(target=run, name="load")
    worker.start()
    try:
        pid = blocked_loader(dsn, worker.is_alive)
        terminate(dsn, pid)
    finally:
        lock.release()
        worker.join(timeout=60)
    assert not worker.is_alive()
    assert len(errors) == 1, "the load must fail when its backend is killed"
    wait_gone(dsn, pid)
    return errors[0]


def _interval_rows(dsn: str, start: datetime) -> tuple[int, int]:
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT (SELECT count(*) FROM tickerpulse.posts WHERE interval_start = %(s)s),"
            " (SELECT count(*) FROM tickerpulse.pipeline_runs WHERE interval_start = %(s)s)",
            {"s": start},
        )
        row = cur.fetchone()
    conn.close()
    return int(row[0]), int(row[1])


def test_killed_first_load_of_an_interval_rolls_back_and_the_retry_completes(
    prepared: Prepared, warehouse: str
) -> None:
    first, second = INTERVALS
    load_and_aggregate(first, prepared.upstream[first])
    validate.run(context(second), prepared.upstream[second]["extract"])
    prices.run(context(second), prepared.upstream[second]["filter"])
    before = pipeline_checksums(warehouse)

    error = _killed_load(warehouse, second, prepared.upstream[second])
    assert isinstance(error, psycopg2.OperationalError), repr(error)  # not "already closed"
    assert pipeline_checksums(warehouse) == before  # rolled back: nothing of the interval
    assert _interval_rows(warehouse, second) == (0, 0)

    finish_load(context(second), prepared.upstream[second])  # the task's retry
    assert pipeline_checksums(warehouse) == prepared.reference


def test_killed_reload_keeps_the_previous_load_and_the_retry_leaves_no_duplicates(
    prepared: Prepared, warehouse: str
) -> None:
    for start in INTERVALS:
        load_and_aggregate(start, prepared.upstream[start])
    assert pipeline_checksums(warehouse) == prepared.reference
    loaded = _interval_rows(warehouse, INTERVALS[1])
    assert loaded[0] > 0
    assert loaded[1] == 1

    _killed_load(warehouse, INTERVALS[1], prepared.upstream[INTERVALS[1]])
    assert pipeline_checksums(warehouse) == prepared.reference  # the old load is intact

    finish_load(context(INTERVALS[1]), prepared.upstream[INTERVALS[1]])
    assert _interval_rows(warehouse, INTERVALS[1]) == loaded
    assert pipeline_checksums(warehouse) == prepared.reference
