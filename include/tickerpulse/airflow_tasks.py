"""The thin adapter between Airflow's task context and the stage functions.

Every task of every DAG builds its settings here, one way (`settings_for_task`), and refuses data
from before TICKERPULSE_START_DATE here (`refuse_before_start`). For `reddit_sentiment` it also
turns the run's data interval and params into a StageContext. Kept separate so the stages never
import Airflow and the DAG files stay pure wiring.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from airflow.sdk.exceptions import AirflowFailException

from tickerpulse.config import BeforeStartDate, Settings, load_settings
from tickerpulse.intervals import resolve_interval
from tickerpulse.stages.context import RunParams, StageContext


def settings_for_task() -> Settings:
    """The environment's settings with the sink switches (Airflow Variables win) resolved once,
    when the task runs: never at parse time, and the same for every stage of the task."""
    from tickerpulse.ops.switches import resolve_switches

    return resolve_switches(load_settings())


def refuse_before_start(settings: Settings, start: datetime, end: datetime, what: str) -> None:
    """Fail the task for good, without retries, when its data [start, end) lies before
    TICKERPULSE_START_DATE: a run that did nothing must not look like a success."""
    try:
        settings.check_start_date(start, end, what)
    except BeforeStartDate as exc:
        raise AirflowFailException(str(exc)) from None


def context_from_airflow(context: dict[str, Any]) -> StageContext:
    """The interval a run processes: its data interval, or the last complete window if it has none.

    `dag_run.run_after` is when a manual run was triggered; it stands in for "now" so a retry of
    that run processes the same window as its first try.
    """
    settings = settings_for_task()
    dag_run = context.get("dag_run")
    now = getattr(dag_run, "run_after", None) or datetime.now(UTC)
    interval = resolve_interval(
        context.get("data_interval_start"), context.get("data_interval_end"), now
    )
    what = f"The interval {interval.start:%Y-%m-%d %H:%M}–{interval.end:%H:%M} UTC"
    refuse_before_start(settings, interval.start, interval.end, what)
    params = RunParams.from_params(dict(context["params"]), settings)
    from tickerpulse.ops.switches import effective_scorer

    params = replace(params, scorer=effective_scorer(params.scorer, settings, get_variable=None))
    run_id = context.get("run_id") or getattr(dag_run, "run_id", None)
    ti = context.get("ti")
    retries_left = max(
        0, int(getattr(ti, "max_tries", 0) or 0) - int(getattr(ti, "try_number", 1) or 1) + 1
    )
    return StageContext(interval, params, settings, str(run_id) if run_id else None, retries_left)
