"""The validate task's "Data Docs" button in the Airflow UI (an operator extra link).

Airflow 3 computes an operator's extra links on the worker when the task ends (success or
failure) and stores each URL in XCom; the UI shows them on the task instance. The URL points at
the Data Docs plugin app on the API server (plugins/tickerpulse_data_docs.py), which redirects a
run to its interval's report, so the link works for a run whose validation failed too.

`data_docs_task` is `@task` with that link on the operator; dags/reddit_sentiment.py uses it for
`validate` only. This is the thin Airflow adapter; the app itself is tickerpulse.data_docs_app.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlsplit

from airflow.providers.standard.decorators.python import _PythonDecoratedOperator
from airflow.sdk import BaseOperatorLink
from airflow.sdk.bases.decorator import task_decorator_factory

URL_PREFIX = "/tickerpulse/data-docs"


def api_base_path() -> str:
    """The path the Airflow API server is served under ('' at the root), from [api] base_url."""
    from airflow.configuration import conf

    return urlsplit(conf.get("api", "base_url", fallback="") or "").path.rstrip("/")


def run_report_url(dag_id: str, run_id: str) -> str:
    return f"{api_base_path()}{URL_PREFIX}/runs/{quote(dag_id, safe='')}/{quote(run_id, safe='')}"


class DataDocsLink(BaseOperatorLink):
    name = "Data Docs"

    def get_link(self, operator: Any, *, ti_key: Any) -> str:
        return run_report_url(ti_key.dag_id, ti_key.run_id)


class DataDocsPythonOperator(_PythonDecoratedOperator):
    """@task whose task instances carry the Data Docs link."""

    operator_extra_links = (DataDocsLink(),)


def data_docs_task(python_callable: Callable[..., Any] | None = None, **kwargs: Any) -> Any:
    return task_decorator_factory(
        python_callable=python_callable,
        decorated_operator_class=DataDocsPythonOperator,
        **kwargs,
    )
