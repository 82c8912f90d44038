"""The Data Docs web app that the Airflow plugin mounts on the API server.

Data-quality reports are one of the three things users read, and they used to be reachable only
by knowing a path in the lake. Each `reddit_sentiment` run's validate task writes one Data Docs
site per interval, `<docs>/<YYYY-MM-DDTHHMM>/` (tickerpulse.validate); this app serves them:

* `GET /`: the reports by run, newest first, each with its interval and a link;
* `GET /runs/{dag_id}/{run_id}`: the report of that run's data interval (a redirect), which the
  validate task's "Data Docs" extra link and the run page's "Data Docs" tab open;
* `GET /site/{path}`: the files of the docs folder, with the vendored styles
  (tickerpulse.data_docs_offline), so pages render without internet.

Airflow does not protect plugin apps itself, so every route depends on `authorize`, which the
plugin wires to Airflow's own check (read access to the DAG's task instances, from the UI's
session cookie or a bearer token). Pages hold expectation results and counts, never post bodies
or author names (the quarantine keeps those, and it is not served here).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, HTTPException
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse

RUN_KEY = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{4}$")  # tickerpulse.stages.validate's run key
DAG_ID = "reddit_sentiment"


def run_key(interval_start: datetime) -> str:
    return f"{interval_start:%Y-%m-%dT%H%M}"


def _allow_all() -> None:
    return None


def create_docs_app(
    docs_dir: Callable[[], Path],
    interval_of: Callable[[str, str], datetime | None],
    authorize: Callable[..., Any] = _allow_all,
    prefix: str = "",
) -> FastAPI:
    """`docs_dir` gives the docs folder (read per request: settings may change); `interval_of`
    maps (dag_id, run_id) to the run's data interval start; `prefix` is where the app is
    mounted, for the links it writes."""
    app = FastAPI(
        title="Ticker Pulse Data Docs",
        dependencies=[Depends(authorize)],
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )

    @app.get("/", response_class=HTMLResponse)
    def index() -> str:
        root = docs_dir()
        keys = sorted(
            (p.name for p in root.iterdir() if p.is_dir() and RUN_KEY.match(p.name)),
            reverse=True,
        ) if root.is_dir() else []  # fmt: skip
        items = "\n".join(
            f"<tr><td>{html.escape(k[:10])} {html.escape(k[11:13])}:{html.escape(k[13:])} UTC"
            f'</td><td><a href="{prefix}/site/{k}/index.html">Data Docs</a></td></tr>'
            for k in keys
        )
        body = items or '<tr><td colspan="2">No reports yet: run reddit_sentiment.</td></tr>'
        return (
            "<!doctype html><html><head><meta charset='utf-8'><title>Data Docs by run</title>"
            f"<link rel='stylesheet' href='{prefix}/site/_vendor/bootstrap/css/bootstrap.min.css'>"
            "</head><body class='container py-3'><h1 class='h3'>Data-quality reports by run</h1>"
            "<p>One Great Expectations report per 30-minute interval of "
            "<code>reddit_sentiment</code>, written by its validate task.</p>"
            "<table class='table table-sm'><thead><tr><th>interval start</th><th>report</th>"
            f"</tr></thead><tbody>{body}</tbody></table></body></html>"
        )

    @app.get("/runs/{dag_id}/{run_id}")
    def run_report(dag_id: str, run_id: str) -> RedirectResponse:
        if dag_id != DAG_ID:
            raise HTTPException(404, f"Data Docs are written by {DAG_ID} runs, not {dag_id}")
        start = interval_of(dag_id, run_id)
        if start is None:
            raise HTTPException(404, f"no run {run_id!r} of {dag_id}")
        key = run_key(start)
        if not (docs_dir() / key / "index.html").is_file():
            raise HTTPException(404, f"no Data Docs for the interval {key} (validate has not run)")
        return RedirectResponse(f"{prefix}/site/{key}/index.html", status_code=307)

    @app.get("/site/{path:path}")
    def site_file(path: str) -> FileResponse:
        root = docs_dir().resolve()
        target = (root / path).resolve()
        if not target.is_relative_to(root) or not target.is_file():
            raise HTTPException(404, "no such file")
        return FileResponse(target)

    return app
