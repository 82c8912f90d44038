"""The thin adapter between Airflow's task context and the stage functions.

It turns the run's data interval and params into a StageContext. Kept separate so the stages never
import Airflow and the DAG file stays pure wiring.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

from tickerpulse.config import load_settings
from tickerpulse.intervals import resolve_interval
from tickerpulse.stages.context import RunParams, StageContext


def context_from_airflow(context: dict[str, Any]) -> StageContext:
    """The interval a run processes: its data interval, or the last complete window if it has none.

    `dag_run.run_after` is when a manual run was triggered; it stands in for "now" so a retry of
    that run processes the same window as its first try.
    """
    settings = load_settings()
    dag_run = context.get("dag_run")
    now = getattr(dag_run, "run_after", None) or datetime.now(UTC)
    interval = resolve_interval(
        context.get("data_interval_start"), context.get("data_interval_end"), now
    )
    params = RunParams.from_params(dict(context["params"]), settings)
    # The sink switches (Variables or environment), read when the task runs, never at parse time.
    from tickerpulse.ops.switches import effective_lake_url, effective_scorer, warehouse_enabled

    settings = dataclasses.replace(
        settings,
        lake_url=effective_lake_url(settings.lake_url, settings.home),
        sinks={"warehouse": warehouse_enabled()},
    )
    params = dataclasses.replace(params, scorer=effective_scorer(params.scorer))
    run_id = context.get("run_id") or getattr(dag_run, "run_id", None)
    ti = context.get("ti")
    retries_left = max(
        0, int(getattr(ti, "max_tries", 0) or 0) - int(getattr(ti, "try_number", 1) or 1) + 1
    )
    return StageContext(interval, params, settings, str(run_id) if run_id else None, retries_left)
