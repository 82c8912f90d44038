"""What the analysis DAG's task calls: the day to analyse from the run, the source from settings.

Kept apart from Airflow: it takes the plain values a task context carries.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from tickerpulse.analysis.job import AnalysisConfig, run_analysis
from tickerpulse.config import load_settings


def day_to_analyse(logical_date: datetime | None, run_after: datetime | None) -> date:
    """The UTC day a run covers. A daily (time-scheduled) run analyses the day its interval ends;
    an Asset-triggered or manual run has no logical date and analyses the day it ran."""
    moment = logical_date or run_after or datetime.now(UTC)
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    if logical_date is not None and moment.time() == datetime.min.time():
        moment -= timedelta(microseconds=1)  # a midnight logical date closes the previous day
    return moment.date()


def run_for_dag(
    logical_date: datetime | None, run_after: datetime | None, params: dict[str, Any]
) -> dict[str, Any]:
    settings = load_settings()
    config = AnalysisConfig(
        window_days=int(params.get("window_days") or 30),
        min_mentions=int(params.get("min_mentions") or 5),
        fetch_daily=bool(params.get("fetch_daily", True)),
    )
    source = None
    if config.fetch_daily:
        from tickerpulse.sources.factory import price_source

        source = price_source(settings)
    day = params.get("computed_for") or None
    computed_for = date.fromisoformat(day) if day else day_to_analyse(logical_date, run_after)
    from tickerpulse.warehouse.migrate import migrate

    migrate(settings)
    return run_analysis(settings, computed_for, config, source)
