"""Data-quality reports one click from the run: the Data Docs app on Airflow's API server.

* `fastapi_apps`: tickerpulse.data_docs_app mounted at /tickerpulse/data-docs, guarded by
  Airflow's own authorization (read access to reddit_sentiment's task instances, from the UI's
  session cookie or a bearer token): Airflow does not protect plugin apps by itself.
* `external_views`: "Data Docs" in the navigation (the reports by run) and a "Data Docs" tab on
  every DAG run page (that run's report).
* The validate task's "Data Docs" extra link comes with its operator
  (tickerpulse.data_docs_link.data_docs_task), not from here.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from airflow.plugins_manager import AirflowPlugin

URL_PREFIX = "/tickerpulse/data-docs"


def _docs_dir() -> Path:
    from tickerpulse.config import load_settings

    return load_settings().docs_dir


def _interval_of(dag_id: str, run_id: str) -> datetime | None:
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        found = session.scalar(
            select(DagRun.data_interval_start).where(
                DagRun.dag_id == dag_id, DagRun.run_id == run_id
            )
        )
    return found


def _app():  # type: ignore[no-untyped-def]
    from airflow.api_fastapi.auth.managers.models.resource_details import DagAccessEntity
    from airflow.api_fastapi.core_api.security import requires_access_dag

    from tickerpulse.data_docs_app import DAG_ID, create_docs_app
    from tickerpulse.data_docs_link import api_base_path

    return create_docs_app(
        _docs_dir,
        _interval_of,
        authorize=requires_access_dag("GET", DagAccessEntity.TASK_INSTANCE, param_dag_id=DAG_ID),
        prefix=api_base_path() + URL_PREFIX,
    )


class TickerPulseDataDocsPlugin(AirflowPlugin):
    name = "tickerpulse_data_docs"
    fastapi_apps = [
        {"app": _app(), "url_prefix": URL_PREFIX, "name": "Ticker Pulse Data Docs"},
    ]
    external_views = [
        {
            "name": "Data Docs",
            "href": f"{URL_PREFIX}/",
            "destination": "nav",
            "category": "browse",
            "url_route": "tickerpulse-data-docs",
        },
        {
            "name": "Data Docs",
            "href": URL_PREFIX + "/runs/{DAG_ID}/{RUN_ID}",
            "destination": "dag_run",
            "url_route": "tickerpulse-data-docs-run",
        },
    ]
