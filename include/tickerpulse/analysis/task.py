"""What the analysis DAG's task calls: the day to analyse from the run, the source from settings.

Kept apart from Airflow: it takes the plain values a task context carries, and the settings the
task built (`tickerpulse.airflow_tasks.settings_for_task`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from tickerpulse.analysis.job import AnalysisConfig, run_analysis
from tickerpulse.config import Settings


def day_to_analyse(logical_date: datetime | None, run_after: datetime | None) -> date:
    """The UTC day a run covers. A daily (time-scheduled) run analyses the day its interval ends;
    an Asset-triggered or manual run has no logical date and analyses the day it ran."""
    moment = logical_date or run_after or datetime.now(UTC)
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    if logical_date is not None and moment.time() == datetime.min.time():
        moment -= timedelta(microseconds=1)  # a midnight logical date closes the previous day
    return moment.date()


def day_for_run(
    logical_date: datetime | None, run_after: datetime | None, computed_for: str | None
) -> date:
    """The `computed_for` param (YYYY-MM-DD) when given, else the day the run covers."""
    if computed_for:
        return date.fromisoformat(computed_for)
    return day_to_analyse(logical_date, run_after)


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """[00:00, 24:00) UTC of a day."""
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return start, start + timedelta(days=1)


def run_for_dag(settings: Settings, computed_for: date, params: dict[str, Any]) -> dict[str, Any]:
    """Analyse one day; params missing from the run's conf fall back to the settings."""
    window_days = params.get("window_days")
    min_mentions = params.get("min_mentions")
    fetch_daily = params.get("fetch_daily")
    config = AnalysisConfig(
        window_days=int(window_days or settings.analysis_window_days),
        min_mentions=int(min_mentions or settings.analysis_min_mentions),
        fetch_daily=settings.analysis_fetch_daily if fetch_daily is None else bool(fetch_daily),
    )
    source = None
    if config.fetch_daily:
        from tickerpulse.sources.factory import price_source

        source = price_source(settings)
    from tickerpulse.warehouse.migrate import migrate

    migrate(settings)
    return run_analysis(settings, computed_for, config, source)
