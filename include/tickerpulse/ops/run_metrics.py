"""Rows for tickerpulse.task_runs and tickerpulse.dag_runs, from what the listener sees.

The plugin in plugins/tickerpulse_listener.py is the Airflow side: it turns a task instance or a
DAG run into the plain values these functions take. Keeping the SQL and the shaping here means it
is tested without a scheduler, and the plugin stays a thin adapter.

Recording is best effort by design: a metrics row must never fail or slow down the task it
describes, so every public entry point logs and swallows database errors.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Collection, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from tickerpulse.config import Settings
from tickerpulse.connections import get_connection, postgres_dsn
from tickerpulse.warehouse.db import connect
from tickerpulse.warehouse.queries import query

log = logging.getLogger(__name__)

MAX_ERROR_CHARS = 2000
_migrated: set[str] = set()


@dataclass(frozen=True)
class TaskRunRow:
    dag_id: str
    run_id: str
    task_id: str
    map_index: int
    try_number: int
    interval_start: datetime | None
    state: str
    start_date: datetime
    end_date: datetime | None
    duration_s: float | None
    counts: dict[str, int] | None = None
    error: str | None = None


@dataclass(frozen=True)
class DagRunRow:
    dag_id: str
    run_id: str
    run_type: str | None
    logical_date: datetime | None
    interval_start: datetime | None
    interval_end: datetime | None
    state: str
    start_date: datetime | None
    end_date: datetime | None
    duration_s: float | None
    message: str | None = None


def stage_counts(value: Any, fields: Collection[str] | None = None) -> dict[str, int] | None:
    """The counts in a stage's return value: its integer fields, one level of nesting flattened.

    Stages return dicts such as {"extracted": 120, "raw": [...], "dropped_by_reason": {"bot": 3}};
    plan_batches returns a list of shard references, whose length is the count that matters.
    `fields` (a stage contract's count fields, tickerpulse.stages.contracts) keeps only those.
    """
    if isinstance(value, Mapping):
        counts: dict[str, int] = {}
        for key, item in value.items():
            if fields is not None and key not in fields:
                continue
            if isinstance(item, bool):
                continue
            if isinstance(item, int):
                counts[str(key)] = item
            elif isinstance(item, Mapping):
                for sub, n in item.items():
                    if isinstance(n, int) and not isinstance(n, bool):
                        counts[f"{key}.{sub}"] = n
        return counts or None
    if isinstance(value, (list, tuple)):
        return {"items": len(value)}
    return None


def duration_s(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return round((end - start).total_seconds(), 3)


def truncate_error(error: object) -> str | None:
    if error is None:
        return None
    text = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
    return text[:MAX_ERROR_CHARS]


def metrics_dsn(settings: Settings, airflow_lookups: bool = True) -> str | None:
    """Where to record, or None to record nothing.

    Like the loader's resolution, but never *starts* an embedded server: a listener that boots
    Postgres inside a task would be a surprise. The embedded one is used only once it exists.

    `airflow_lookups=False` reads the connection from the environment only. The scheduler calls
    DAG-run hooks inside its own metadata-DB transaction; a secrets-backend lookup there commits
    that transaction ("UNEXPECTED COMMIT - THIS WILL BREAK HA LOCKS!") and wedges the scheduler.
    """
    if settings.database_url:
        return settings.database_url
    if airflow_lookups or settings.connection_env(settings.db_conn_id):
        conn = get_connection(settings.db_conn_id, settings)
        if conn is not None:
            return postgres_dsn(conn)
    pgdata = settings.home / "pgdata"
    if (pgdata / "PG_VERSION").exists():
        from tickerpulse.warehouse.embedded import embedded_dsn

        return embedded_dsn(pgdata)
    return None


def _ensure_schema(dsn: str) -> None:
    """Migrations once per process: the first task of the first run may come before any load."""
    if dsn in _migrated:
        return
    from tickerpulse.warehouse.migrate import migrate

    migrate(dsn)
    _migrated.add(dsn)


def record_task_run(dsn: str, row: TaskRunRow) -> bool:
    """Upsert one task try; False (and a warning) when it could not be written."""
    params: dict[str, Any] = asdict(row)
    params["counts"] = json.dumps(row.counts, sort_keys=True) if row.counts else None
    try:
        _ensure_schema(dsn)
        with connect(dsn) as conn, conn.cursor() as cur:
            cur.execute(query("ops_upsert_task_run"), params)
    except Exception:  # noqa: BLE001 - metrics must never fail the task they describe
        log.warning("could not record task run %s", row, exc_info=True)
        return False
    return True


def record_dag_run(dsn: str, row: DagRunRow) -> bool:
    """Upsert one DAG run; False (and a warning) when it could not be written."""
    try:
        _ensure_schema(dsn)
        with connect(dsn) as conn, conn.cursor() as cur:
            cur.execute(query("ops_upsert_dag_run"), asdict(row))
    except Exception:  # noqa: BLE001 - the scheduler must not stumble over a metrics row
        log.warning("could not record dag run %s", row, exc_info=True)
        return False
    return True


PIPELINE_DAG_ID = "reddit_sentiment"


def run_interval_start(
    dag_id: str,
    data_interval_start: datetime | None,
    data_interval_end: datetime | None,
    run_after: datetime | None,
) -> datetime | None:
    """The interval a run processed, keyed like tickerpulse.pipeline_runs.

    For the pipeline DAG this is the same resolution the tasks use (a manual run with no data
    interval processes the last complete window before it was triggered), so task and run rows join
    to the pipeline's counts. Other DAGs keep their own data interval start.
    """
    if dag_id == PIPELINE_DAG_ID:
        from tickerpulse.intervals import resolve_interval

        if run_after is None and data_interval_end is None:
            return None
        now = run_after or data_interval_end
        assert now is not None
        return resolve_interval(data_interval_start, data_interval_end, now).start
    return data_interval_start
