"""One process that runs `reddit_sentiment` with `dag.test()`, as a worker runs its tasks.

`python -m tests.dag_test_process LOGICAL_DATE OUT.json DSN [DSN ...]` runs the DAG once for
LOGICAL_DATE into each warehouse in turn (DATABASE_URL set to it), in this process, and after each
run rewrites OUT.json with the DagRun states so far. Several warehouses in one process pay the
Airflow and Great Expectations imports (~15 s) once: a fault test runs its fault-free reference
and then the run it kills in the same process.

With `--on-go` first, the process does those imports and parses the DAG, then waits for a line
on stdin before it runs anything (EOF: it exits without running). A test starts it early, as a
warm worker, so a re-run after a fault does not wait for the imports.

Airflow's configuration (AIRFLOW_HOME and its metadata DB, already migrated), the lake and the
replay sources come from the environment the caller gives, as a worker's do.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
NOT_STARTED = 3  # exit status when told to stop before running


def load_dag() -> Any:
    from airflow.dag_processing.dagbag import DagBag

    dag = DagBag(dag_folder=str(ROOT / "dags"), safe_mode=False).get_dag("reddit_sentiment")
    for task in dag.tasks:  # a failure must fail the run now, not wait for retry delays
        task.retries = 0
    return dag


def warm_up() -> None:
    """The slow imports a first `validate` task would pay (Great Expectations and its suite)."""
    import great_expectations  # noqa: F401

    import tickerpulse.gx_suite  # noqa: F401
    import tickerpulse.stages.validate  # noqa: F401


def run(dag: Any, logical_date: datetime, out: Path, dsns: list[str]) -> list[str]:
    """Run the DAG into each warehouse in order; the final DagRun states."""
    states: list[str] = []
    for dsn in dsns:
        os.environ["DATABASE_URL"] = dsn
        dag_run = dag.test(logical_date=logical_date)
        states.append(str(getattr(dag_run.state, "value", dag_run.state)))
        out.write_text(json.dumps(states), encoding="utf-8")
    return states


def main(argv: list[str]) -> int:
    on_go = bool(argv) and argv[0] == "--on-go"
    args = argv[1:] if on_go else argv
    if len(args) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    dag = load_dag()
    if on_go:
        warm_up()
        if not sys.stdin.readline():
            return NOT_STARTED
    states = run(dag, datetime.fromisoformat(args[0]), Path(args[1]), args[2:])
    return 0 if all(state == "success" for state in states) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
