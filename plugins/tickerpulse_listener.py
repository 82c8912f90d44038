"""Airflow plugin: record every task try and every DAG run into the warehouse.

Task hooks run in the task process (Airflow 3 calls them from the Task SDK's runner, after the
task's own callbacks), so they see the task's return value, whose integer fields are the stage
counts ("in=… out=…") written to tickerpulse.task_runs.counts. DAG-run hooks run where the run
changes state: the scheduler (or the API server when a user marks a run by hand; or the
`dag.test()` process). Both write through tickerpulse.ops.run_metrics, which never raises.

Recording is skipped when no warehouse is configured or the `warehouse` sink switch is off.
Loaded from the plugins folder ([core] plugins_folder, /opt/airflow/plugins in compose).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from airflow.listeners import hookimpl
from airflow.plugins_manager import AirflowPlugin

log = logging.getLogger(__name__)


def _state(value: Any, fallback: str) -> str:
    value = getattr(value, "value", value)
    return str(value) if value else fallback


def _dsn(in_scheduler: bool = False) -> str | None:
    """The warehouse to record into, or None (none configured, or the warehouse sink is off).

    In the scheduler (DAG-run hooks) only the environment is read: an Airflow Variable or
    connection lookup there would commit the scheduler's own transaction.
    """
    from tickerpulse.config import load_settings
    from tickerpulse.ops.run_metrics import metrics_dsn
    from tickerpulse.ops.switches import airflow_variable, warehouse_enabled

    settings = load_settings()
    if not warehouse_enabled(settings, get_variable=None if in_scheduler else airflow_variable):
        return None
    return metrics_dsn(settings, airflow_lookups=not in_scheduler)


def _task_interval_start(ti: Any) -> datetime | None:
    from tickerpulse.ops.run_metrics import run_interval_start

    dag_run = None
    try:
        dag_run = ti.get_template_context().get("dag_run")
    except Exception:  # noqa: BLE001 - an API-server TaskInstance has no template context
        dag_run = getattr(ti, "dag_run", None)
    if dag_run is None:
        return None
    return run_interval_start(
        ti.dag_id,
        getattr(dag_run, "data_interval_start", None),
        getattr(dag_run, "data_interval_end", None),
        getattr(dag_run, "run_after", None),
    )


def _return_counts(ti: Any) -> dict[str, int] | None:
    from tickerpulse.ops.run_metrics import stage_counts

    xcom_pull = getattr(ti, "xcom_pull", None)
    if xcom_pull is None:
        return None
    map_index = getattr(ti, "map_index", -1)
    try:
        value = xcom_pull(
            task_ids=ti.task_id,
            key="return_value",
            map_indexes=map_index if map_index is not None and map_index >= 0 else None,
        )
    except Exception:  # noqa: BLE001 - no return value is not an error
        log.debug("no return value for %s", ti.task_id, exc_info=True)
        return None
    return stage_counts(value, _count_fields(ti))


def _count_fields(ti: Any) -> frozenset[str] | None:
    """The count fields of the task's declared output (reddit_sentiment's stages), else None."""
    from tickerpulse.stages.contracts import STAGE_OUTPUTS, count_fields

    contract = STAGE_OUTPUTS.get(ti.task_id) if ti.dag_id == "reddit_sentiment" else None
    return count_fields(contract) if contract is not None else None


def _record_task(ti: Any, state: str, error: object = None, with_counts: bool = False) -> None:
    from tickerpulse.ops.run_metrics import (
        TaskRunRow,
        duration_s,
        record_task_run,
        truncate_error,
    )

    try:
        dsn = _dsn()
        if dsn is None:
            return
        start = getattr(ti, "start_date", None) or datetime.now(UTC)
        end = getattr(ti, "end_date", None)
        if end is None and state != "running":
            end = datetime.now(UTC)
        raw_map_index = getattr(ti, "map_index", None)
        row = TaskRunRow(
            dag_id=ti.dag_id,
            run_id=ti.run_id,
            task_id=ti.task_id,
            map_index=-1 if raw_map_index is None else int(raw_map_index),
            try_number=int(getattr(ti, "try_number", 1) or 1),
            interval_start=_task_interval_start(ti),
            state=state,
            start_date=start,
            end_date=end,
            duration_s=duration_s(start, end),
            counts=_return_counts(ti) if with_counts else None,
            error=truncate_error(error),
        )
        record_task_run(dsn, row)
    except Exception:  # noqa: BLE001 - a listener must never break the task
        log.warning(
            "tickerpulse listener could not record %s/%s", ti.dag_id, ti.task_id, exc_info=True
        )


def _record_dag_run(dag_run: Any, msg: str | None) -> None:
    from tickerpulse.ops.run_metrics import (
        DagRunRow,
        duration_s,
        record_dag_run,
        run_interval_start,
        truncate_error,
    )

    dag_id = run_id = "?"
    try:
        dag_id, run_id = dag_run.dag_id, dag_run.run_id
        dsn = _dsn(in_scheduler=True)
        if dsn is None:
            return
        start = getattr(dag_run, "start_date", None)
        end = getattr(dag_run, "end_date", None)
        state = _state(getattr(dag_run, "state", None), "unknown")
        if end is None and state in {"success", "failed"}:
            end = datetime.now(UTC)
        row = DagRunRow(
            dag_id=dag_id,
            run_id=run_id,
            run_type=_state(getattr(dag_run, "run_type", None), "") or None,
            logical_date=getattr(dag_run, "logical_date", None),
            interval_start=run_interval_start(
                dag_run.dag_id,
                getattr(dag_run, "data_interval_start", None),
                getattr(dag_run, "data_interval_end", None),
                getattr(dag_run, "run_after", None),
            ),
            interval_end=getattr(dag_run, "data_interval_end", None),
            state=state,
            start_date=start,
            end_date=end if state != "running" else None,
            duration_s=duration_s(start, end) if state != "running" else None,
            message=truncate_error(msg) if msg else None,
        )
        record_dag_run(dsn, row)
    except Exception:  # noqa: BLE001 - the scheduler must not stumble over metrics
        log.warning(
            "tickerpulse listener could not record run %s/%s", dag_id, run_id, exc_info=True
        )


def preload_modules(component: Any) -> list[str]:
    """Import TICKERPULSE_PRELOAD_MODULES in the scheduler, before its LocalExecutor forks workers.

    With the LocalExecutor every task process is forked from a worker forked from the scheduler,
    so modules imported here are already in memory when a task starts: pandas, pyarrow and Great
    Expectations cost 2-7 s per task otherwise. Opt-in (a comma-separated module list) because it
    grows the scheduler's memory; useless with Celery or Kubernetes, whose workers do not fork
    from the scheduler (Celery workers preload through [celery] extra_celery_config instead:
    tickerpulse.preload).
    """
    import importlib
    import sys
    import time

    from tickerpulse.config import SettingsError, load_settings

    # Airflow calls on_starting from Job.__init__, before the job knows its type: go by the
    # command line (`airflow scheduler`, also what `airflow standalone` starts).
    if type(component).__name__ != "Job" or "scheduler" not in sys.argv[1:2]:
        return []
    try:
        names = load_settings().preload_modules
    except SettingsError:  # the tasks report it; the scheduler must start regardless
        log.warning("not preloading: the settings do not parse", exc_info=True)
        return []
    loaded = []
    began = time.monotonic()
    for name in names:
        try:
            importlib.import_module(name)
            loaded.append(name)
        except Exception:  # noqa: BLE001 - a preload is an optimisation, never a failure
            log.warning("could not preload %s", name, exc_info=True)
    if loaded:
        log.info("preloaded %s in %.1fs", ", ".join(loaded), time.monotonic() - began)
    return loaded


class TickerPulseListener:
    """The hook implementations; one instance is registered by the plugin below."""

    @hookimpl
    def on_starting(self, component: Any) -> None:
        preload_modules(component)

    @hookimpl
    def on_task_instance_running(self, previous_state: Any, task_instance: Any) -> None:
        _record_task(task_instance, "running")

    @hookimpl
    def on_task_instance_success(self, previous_state: Any, task_instance: Any) -> None:
        _record_task(task_instance, "success", with_counts=True)

    @hookimpl
    def on_task_instance_failed(
        self, previous_state: Any, task_instance: Any, error: object
    ) -> None:
        state = _state(getattr(task_instance, "state", None), "failed")
        _record_task(task_instance, state if state != "running" else "failed", error=error)

    @hookimpl
    def on_task_instance_skipped(self, previous_state: Any, task_instance: Any) -> None:
        _record_task(task_instance, "skipped")

    @hookimpl
    def on_dag_run_running(self, dag_run: Any, msg: str) -> None:
        _record_dag_run(dag_run, msg)

    @hookimpl
    def on_dag_run_success(self, dag_run: Any, msg: str) -> None:
        _record_dag_run(dag_run, msg)

    @hookimpl
    def on_dag_run_failed(self, dag_run: Any, msg: str) -> None:
        _record_dag_run(dag_run, msg)


listener = TickerPulseListener()


class TickerPulseMetricsPlugin(AirflowPlugin):
    name = "tickerpulse_metrics"
    listeners = [listener]
