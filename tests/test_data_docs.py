"""Data-quality reports one click from the run, rendered with their styles offline.

A real validation writes a real Data Docs site; its pages must load nothing from the internet,
the app that the Airflow plugin mounts must serve them (and nothing outside the docs folder),
the validate task must carry the "Data Docs" link, and headless Chromium (Debian's `chromium`)
must apply the vendored Bootstrap: computed styles of the served page differ from the same page
with its stylesheets removed, and match Bootstrap's.
"""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
import uvicorn
from fastapi import HTTPException, Request

from tests.test_validate import END, START, clean_rows, frame
from tickerpulse.data_docs_app import create_docs_app, run_key
from tickerpulse.data_docs_offline import VENDOR, remote_assets
from tickerpulse.validate import validate_raw

RUN_ID = "scheduled__2025-01-06T14:30:00+00:00"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--virtual-time-budget=8000",
    "--dump-dom",
]


@dataclass(frozen=True)
class Docs:
    root: Path
    site: Path
    url: str  # the docs app on loopback


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _token_required(request: Request) -> None:
    """Stands in for Airflow's check in the plugin: a request without credentials is refused."""
    if request.headers.get("authorization") != "Bearer let-me-in":
        raise HTTPException(401, "Not authenticated")


@pytest.fixture(scope="module")
def docs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Docs]:
    root = tmp_path_factory.mktemp("data_docs")
    outcome = validate_raw(frame(clean_rows(5)), START, END, root, run_key(START))
    assert outcome.docs_path is not None
    runs = {RUN_ID: START}
    app = create_docs_app(lambda: root, lambda dag, run: runs.get(run), prefix="")
    secured = create_docs_app(lambda: root, lambda dag, run: None, authorize=_token_required)
    app.mount("/secured", secured)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield Docs(root, Path(outcome.docs_path).parent, f"http://127.0.0.1:{port}")
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def test_no_page_loads_anything_from_the_internet(docs: Docs) -> None:
    pages = _pages(docs.site)
    assert len(pages) >= 5  # index, two suites, two validation results
    for page in pages:
        assert remote_assets(page.read_text(encoding="utf-8")) == [], page
    vendor = docs.root / VENDOR
    for asset in ("bootstrap/css/bootstrap.min.css", "fontawesome/css/all.min.css",
                  "fontawesome/webfonts/fa-solid-900.woff2", "jquery/jquery.min.js"):  # fmt: skip
        assert (vendor / asset).stat().st_size > 10_000, asset
    page = next(p for p in pages if "validations" in p.parts)
    linked = re.findall(r"(?:href|src)=\"([^\"]+_vendor[^\"]+)\"", page.read_text())
    assert linked
    for relative in linked:  # every rewritten path resolves from where the page is
        assert (page.parent / relative).resolve().is_file(), relative


def test_the_app_lists_reports_by_run_and_redirects_a_run_to_its_report(docs: Docs) -> None:
    index = requests.get(docs.url + "/", timeout=10)
    assert index.status_code == 200
    assert "/site/2025-01-06T1400/index.html" in index.text
    run = requests.get(f"{docs.url}/runs/reddit_sentiment/{RUN_ID}", timeout=10,
                       allow_redirects=False)  # fmt: skip
    assert run.status_code == 307
    assert run.headers["location"] == "/site/2025-01-06T1400/index.html"
    page = requests.get(docs.url + run.headers["location"], timeout=10)
    assert page.status_code == 200
    assert "Expectation" in page.text
    missing = requests.get(f"{docs.url}/runs/reddit_sentiment/manual__nope", timeout=10)
    assert missing.status_code == 404
    assert "no run" in missing.json()["detail"]
    other = requests.get(f"{docs.url}/runs/sentiment_analysis/{RUN_ID}", timeout=10)
    assert other.status_code == 404


@pytest.mark.parametrize("path", ["/site/../../etc/passwd", "/site/%2e%2e/%2e%2e/etc/passwd",
                                  "/site//etc/passwd", "/site/nope.html"])  # fmt: skip
def test_nothing_outside_the_docs_folder_is_served(docs: Docs, path: str) -> None:
    response = requests.get(docs.url + path, timeout=10)
    assert response.status_code == 404
    assert "root:" not in response.text


def test_every_route_asks_the_authorizer(docs: Docs) -> None:
    for path in ("/", f"/runs/reddit_sentiment/{RUN_ID}", "/site/2025-01-06T1400/index.html"):
        refused = requests.get(docs.url + "/secured" + path, timeout=10, allow_redirects=False)
        assert refused.status_code == 401, path
    allowed = requests.get(docs.url + "/secured/", timeout=10,
                           headers={"Authorization": "Bearer let-me-in"})  # fmt: skip
    assert allowed.status_code == 200


def test_the_validate_task_carries_the_data_docs_link() -> None:
    from airflow.dag_processing.dagbag import DagBag
    from airflow.serialization.serialized_objects import DagSerialization

    from tickerpulse.data_docs_link import DataDocsLink

    dag = DagBag(dag_folder=str(Path(__file__).parents[1] / "dags")).dags["reddit_sentiment"]
    serialized = DagSerialization.serialize_dag(dag)  # what the API server reads
    tasks = [t.get("__var", t) for t in serialized["tasks"]]
    links = {t["task_id"]: t.get("_operator_extra_links") for t in tasks}
    assert links["validate"] == {"Data Docs": "_link_DataDocsLink"}
    assert not any(v for k, v in links.items() if k != "validate")

    class Key:
        dag_id, run_id = "reddit_sentiment", RUN_ID

    url = DataDocsLink().get_link(None, ti_key=Key())
    assert url == "/tickerpulse/data-docs/runs/reddit_sentiment/" + RUN_ID.replace(
        "+", "%2B"
    ).replace(":", "%3A")


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium): the "
                    "rendering check needs a real browser")  # fmt: skip
    return found


PROBE = """<!doctype html><html><body><pre id="out">pending</pre>
<iframe id="page" src="{src}" width="1200" height="900"></iframe>
<script>
document.getElementById('page').addEventListener('load', () => {{
  const doc = document.getElementById('page').contentDocument;
  const view = doc.defaultView;
  const style = (sel, prop) => {{
    const el = doc.querySelector(sel);
    return el ? view.getComputedStyle(el).getPropertyValue(prop) : null;
  }};
  document.getElementById('out').textContent = JSON.stringify({{
    body_font: style('body', 'font-family'),
    body_margin: style('body', 'margin-top'),
    table_collapse: style('table', 'border-collapse'),
    table_width: style('table.table', 'width'),
    sheets: doc.styleSheets.length,
    icon_font: style('.fas, .fa', 'font-family'),
  }});
}});
</script></body></html>"""


def _render(chromium: str, docs: Docs, page: Path, name: str) -> dict[str, Any]:
    """Computed styles of a served page, read by a same-origin probe page in headless Chromium."""
    relative = page.relative_to(docs.root).as_posix()
    probe = docs.root / f"probe_{name}.html"
    probe.write_text(PROBE.format(src="/site/" + relative), encoding="utf-8")
    result = subprocess.run(
        [chromium, *CHROMIUM_FLAGS, f"{docs.url}/site/{probe.name}"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    match = re.search(r'<pre id="out">(.*?)</pre>', result.stdout, re.S)
    assert match, f"chromium printed no probe result: {result.stderr[-2000:]}"
    text = match.group(1).replace("&quot;", '"').replace("&amp;", "&")
    assert text != "pending", "the page did not load in chromium"
    return dict(json.loads(text))


@pytest.mark.slow
def test_chromium_renders_a_data_docs_page_with_its_styles(docs: Docs) -> None:
    chromium = _chromium()
    page = next(p for p in _pages(docs.site) if "validations" in p.parts)
    bare = page.with_name("unstyled.html")  # the same page with its stylesheets removed
    bare.write_text(
        re.sub(r"<link\b[^>]*rel=\"stylesheet\"[^>]*>", "", page.read_text(encoding="utf-8")),
        encoding="utf-8",
    )
    styled = _render(chromium, docs, page, "styled")
    unstyled = _render(chromium, docs, bare, "unstyled")
    assert styled["sheets"] > unstyled["sheets"]
    assert "-apple-system" in styled["body_font"]  # Bootstrap's font stack, from _vendor
    assert "-apple-system" not in unstyled["body_font"]
    assert styled["body_margin"] == "0px"  # Bootstrap's reboot; a browser's default is 8px
    assert unstyled["body_margin"] == "8px"
    assert styled["table_collapse"] == "collapse"
    assert unstyled["table_collapse"] == "separate"
    if styled["icon_font"] is not None:
        assert "Font Awesome" in styled["icon_font"]


def test_run_key_is_the_validate_stages(docs: Docs) -> None:
    assert run_key(datetime(2024, 3, 5, 14, 0, tzinfo=UTC)) == "2024-03-05T1400"
    assert (docs.root / run_key(START) / "index.html").is_file()


@pytest.mark.slow
def test_the_plugin_serves_the_app_on_airflows_api_server_behind_its_login() -> None:
    probe = Path(__file__).with_name("data_docs_plugin_probe.py")
    result = subprocess.run(
        [sys.executable, str(probe)], capture_output=True, text=True, timeout=300,
        cwd=probe.parents[1],
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    got = json.loads(result.stdout.strip().splitlines()[-1])
    assert got["anonymous"] == 401  # Airflow's auth, not ours: no session, no reports
    assert got["logged_in"] == 200
    assert got["index_title"] is True
    assert got["apps"] == ["/tickerpulse/data-docs"]
    assert got["views"] == [
        ["dag_run", "/tickerpulse/data-docs/runs/{DAG_ID}/{RUN_ID}"],
        ["nav", "/tickerpulse/data-docs/"],
    ]
