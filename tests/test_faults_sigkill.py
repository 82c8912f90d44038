"""A task process is killed with SIGKILL in the middle of `load`; the re-run completes idempotently.

The `load` task (then `aggregate`) runs in its own process, as an Airflow worker runs a task. The
kill point is deterministic: a test connection holds a SHARE lock on pipeline_runs, so the load
writes all the interval's rows and then waits on its last statement; the test sees that backend
in pg_stat_activity and kills the task process with SIGKILL (no handler, no cleanup runs). The
server then ends the orphaned transaction itself. The warehouse must be exactly as before; the
re-run (a new process, as Airflow's retry) must leave it equal, table by table, to the fault-free
warehouse.

The same holds for the lake: a process killed while it writes a partition leaves the previous
file or the new one, whole, and at most a hidden temporary file that readers skip.

Run as a module (`python -m tests.test_faults_sigkill UPSTREAM.json`) it is that task process;
with `--rewrite LAKE_URL REL` it is a writer that rewrites one lake file until killed.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from tools.warehouse_checksum import pipeline_checksums

from tests.test_faults_postgres import (
    INTERVALS,
    PipelineRunsLock,
    Prepared,
    blocked_loader,
    context,
    finish_load,
    load_and_aggregate,
    prepared,
    prices,
    validate,
    wait_gone,
    warehouse,
)
from tickerpulse.lake import Lake

ROOT = Path(__file__).resolve().parents[1]
__all__ = ["prepared", "warehouse"]  # fixtures shared with test_faults_postgres

# Real task processes killed with SIGKILL, then re-run: 5 to 30 s a test.
pytestmark = pytest.mark.slow


def _task_process(upstream_file: Path) -> subprocess.Popen[bytes]:
    """`load` + `aggregate` of the interval described in `upstream_file`, in a new process."""
    return subprocess.Popen(
        [sys.executable, "-m", "tests.test_faults_sigkill", str(upstream_file)],
        cwd=ROOT,
        env=os.environ.copy(),  # the warehouse and lake the test set up
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def test_sigkill_mid_load_then_the_rerun_gives_the_fault_free_warehouse(
    prepared: Prepared, warehouse: str, tmp_path: Path
) -> None:
    first, second = INTERVALS
    load_and_aggregate(first, prepared.upstream[first])
    validate.run(context(second), prepared.upstream[second]["extract"])
    prices.run(context(second), prepared.upstream[second]["filter"])
    before = pipeline_checksums(warehouse)
    upstream_file = tmp_path / "upstream.json"
    upstream_file.write_text(
        json.dumps({"start": second.isoformat(), "upstream": prepared.upstream[second]})
    )

    lock = PipelineRunsLock(warehouse)
    task = _task_process(upstream_file)
    try:
        backend = blocked_loader(warehouse, lambda: task.poll() is None)
        os.kill(task.pid, signal.SIGKILL)
        assert task.wait(timeout=30) == -signal.SIGKILL
    finally:
        lock.release()
        if task.poll() is None:
            task.kill()
            task.wait()
    wait_gone(warehouse, backend)  # the server rolled the orphaned transaction back
    assert pipeline_checksums(warehouse) == before

    rerun = _task_process(upstream_file)
    output, _ = rerun.communicate(timeout=120)
    assert rerun.returncode == 0, output.decode(errors="replace")[-3000:]
    assert pipeline_checksums(warehouse) == prepared.reference


def test_sigkill_mid_lake_write_leaves_the_old_file_or_the_new_never_a_partial_one(
    tmp_path: Path,
) -> None:
    """A writer that rewrites one partition over and over is killed while its temp file exists."""
    lake_dir = tmp_path / "lake"
    rel = "raw/reddit/subreddit=x/dt=2024-03-05/interval=1400.parquet"
    writer = subprocess.Popen(
        [sys.executable, "-m", "tests.test_faults_sigkill", "--rewrite", lake_dir.as_uri(), rel],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    folder = (lake_dir / rel).parent
    try:
        deadline = time.monotonic() + 60
        while not list(folder.glob(".*.tmp")):  # mid-write: the temp file is there
            assert writer.poll() is None, writer.communicate()[0].decode(errors="replace")
            assert time.monotonic() < deadline, "the writer never wrote"
            time.sleep(0.001)
        os.kill(writer.pid, signal.SIGKILL)
        assert writer.wait(timeout=30) == -signal.SIGKILL
    finally:
        if writer.poll() is None:
            writer.kill()
            writer.wait()

    final = lake_dir / rel
    if final.exists():  # an earlier round finished: it is whole
        assert final.read_bytes() == _payload()
    lake = Lake(lake_dir.as_uri())
    assert lake.list(str(Path(rel).parent)) == ([lake.url(rel)] if final.exists() else [])
    lake.write_bytes(rel, _payload())  # the re-run
    assert lake.read_bytes(rel) == _payload()
    assert lake.list(str(Path(rel).parent)) == [lake.url(rel)]


def _payload() -> bytes:
    """Big enough (8 MB, fsync'd) that a write takes a while, so the kill lands mid-write."""
    return bytes(range(256)) * (8 * 4096)


def _rewrite_forever(lake_url: str, rel: str) -> None:
    lake = Lake(lake_url)
    while True:
        lake.write_bytes(rel, _payload())


def _main(argv: list[str]) -> None:
    if argv[0] == "--rewrite":
        _rewrite_forever(argv[1], argv[2])
        return
    spec: dict[str, Any] = json.loads(Path(argv[0]).read_text())
    finish_load(context(datetime.fromisoformat(spec["start"])), spec["upstream"])


if __name__ == "__main__":
    _main(sys.argv[1:])
