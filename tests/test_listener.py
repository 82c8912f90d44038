"""The run-metrics listener and the failure callback, in real `dag.test()` runs.

The listener is loaded the way Airflow loads it — from the plugins folder by the plugins manager —
so these tests also prove the plugin file is a valid plugin.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import psycopg2
import pytest

from tickerpulse.ops.events import RunEvent, notify, webhook_target
from tickerpulse.ops.run_metrics import run_interval_start, stage_counts

ROOT = Path(__file__).resolve().parents[1]
START = datetime(2024, 3, 5, 14, 0, tzinfo=UTC)


def _reset_plugin_caches() -> None:
    import airflow.listeners.listener as core_listener
    import airflow.plugins_manager as core_plugins
    import airflow.sdk.listener as sdk_listener
    import airflow.sdk.plugins_manager as sdk_plugins

    core_plugins._get_plugins.cache_clear()
    sdk_plugins._get_plugins.cache_clear()
    core_listener.get_listener_manager.cache_clear()
    sdk_listener.get_listener_manager.cache_clear()


@pytest.fixture
def project_plugins(airflow_db: None) -> Iterator[None]:
    """Point Airflow at plugins/ for one test, then put the session's (empty) folder back."""
    from airflow import settings

    previous = settings.PLUGINS_FOLDER
    settings.PLUGINS_FOLDER = str(ROOT / "plugins")
    _reset_plugin_caches()
    try:
        yield
    finally:
        settings.PLUGINS_FOLDER = previous
        _reset_plugin_caches()


def _fetch(dsn: str, statement: str, params: Any = None) -> list[tuple[Any, ...]]:
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(statement, params)
        return cur.fetchall()


# --- pure helpers --------------------------------------------------------------------------------


def test_stage_counts_takes_integers_and_flattens_one_level() -> None:
    out = {"extracted": 12, "raw": ["a"], "ok": True, "by": {"bot": 2, "x": "y"}, "r": 0.5}
    assert stage_counts(out) == {"extracted": 12, "by.bot": 2}
    assert stage_counts([{"shard": 1}, {"shard": 2}]) == {"items": 2}
    assert stage_counts({"url": "s3://x"}) is None
    assert stage_counts(None) is None


def test_run_interval_start_matches_the_pipeline_resolution() -> None:
    end = START + timedelta(minutes=30)
    assert run_interval_start("reddit_sentiment", START, end, None) == START
    # a manual run with no data interval: the last complete window before it was triggered
    assert run_interval_start("reddit_sentiment", None, None, end + timedelta(minutes=7)) == START
    day = datetime(2024, 3, 5, tzinfo=UTC)
    assert run_interval_start("tickerpulse_maintenance", day, day + timedelta(days=1), None) == day


# --- the listener in real DAG runs ---------------------------------------------------------------


def test_plugin_is_loaded_by_the_plugins_manager(project_plugins: None) -> None:
    from airflow.listeners.listener import get_listener_manager as core_manager
    from airflow.sdk.listener import get_listener_manager as sdk_manager

    for manager in (core_manager(), sdk_manager()):
        names = {type(p).__name__ for p in manager.pm.get_plugins()}
        assert "TickerPulseListener" in names


@pytest.mark.slow
def test_listener_records_every_task_and_the_run_with_counts(
    project_plugins: None, pipeline_env: dict[str, str]
) -> None:
    from airflow.dag_processing.dagbag import DagBag

    dag = DagBag(dag_folder=str(ROOT / "dags"), safe_mode=False).get_dag("reddit_sentiment")
    for task in dag.tasks:
        task.retries = 0
    dag_run = dag.test(logical_date=START + timedelta(minutes=30))
    assert str(getattr(dag_run.state, "value", dag_run.state)) == "success"
    dsn = pipeline_env["DATABASE_URL"]

    rows = _fetch(
        dsn,
        "SELECT task_id, map_index, state, interval_start, duration_s, counts"
        " FROM tickerpulse.task_runs WHERE run_id = %s ORDER BY task_id, map_index",
        (dag_run.run_id,),
    )
    by_task = {r[0]: r for r in rows}
    assert set(by_task) == {t.task_id for t in dag.tasks}
    assert all(r[2] == "success" and r[3] == START and r[4] is not None and r[4] >= 0 for r in rows)

    extracted, loaded, scored = _fetch(
        dsn, "SELECT extracted, loaded, scored FROM tickerpulse.pipeline_runs"
    )[0]
    assert by_task["extract"][5]["extracted"] == extracted > 0
    assert by_task["load"][5]["loaded"] == loaded
    shards = by_task["plan_batches"][5]["items"]
    score_rows = [r for r in rows if r[0] == "score"]
    assert [r[1] for r in score_rows] == list(range(shards))
    assert sum(r[5]["scored"] for r in score_rows) == scored

    run = _fetch(
        dsn,
        "SELECT state, interval_start, duration_s, loaded FROM tickerpulse.run_metrics"
        " WHERE run_id = %s",
        (dag_run.run_id,),
    )
    assert len(run) == 1
    state, interval_start, duration, run_loaded = run[0]
    assert (state, interval_start, run_loaded) == ("success", START, loaded)
    assert duration is not None
    assert duration > 0


# --- the failure callback -----------------------------------------------------------------------


class _Hook(BaseHTTPRequestHandler):
    received: list[dict[str, Any]] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        length = int(self.headers.get("Content-Length", "0"))
        type(self).received.append(json.loads(self.rfile.read(length)))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    _Hook.received = []
    server = HTTPServer(("127.0.0.1", 0), _Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/hook", _Hook.received
    finally:
        server.shutdown()
        server.server_close()


def test_webhook_target_reads_slack_and_generic_connections() -> None:
    assert webhook_target(None) is None
    assert webhook_target({"conn_type": "http", "host": "nohost"}) is None
    url, headers, slack = webhook_target(  # type: ignore[misc]
        {"conn_type": "slackwebhook", "password": "T0/B0/abc"}
    )
    assert (url, slack) == ("https://hooks.slack.com/services/T0/B0/abc", True)
    url, headers, slack = webhook_target(  # type: ignore[misc]
        {"conn_type": "http", "host": "https://x.example/h", "extra": {"headers": {"A": "1"}}}
    )
    assert (url, headers, slack) == ("https://x.example/h", {"A": "1"}, False)


def test_notify_reports_a_dead_webhook_without_raising() -> None:
    event = RunEvent("task_failed", "d", "r", "t", -1, 1, None, "boom")
    ok, error = notify(event, {"conn_type": "http", "host": "http://127.0.0.1:9/none"})
    assert ok is False
    assert error


@pytest.mark.slow
def test_failed_task_writes_a_run_event_notifies_and_the_listener_records_it(
    project_plugins: None,
    pipeline_env: dict[str, str],
    webhook: tuple[str, list[dict[str, Any]]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from airflow.dag_processing.dagbag import DagBag

    from tickerpulse.ops.events import on_task_failure

    url, received = webhook
    monkeypatch.setenv(
        "AIRFLOW_CONN_TICKERPULSE_ALERTS", json.dumps({"conn_type": "http", "host": url})
    )
    monkeypatch.setenv("TICKERPULSE_REDDIT_SOURCE", "no-such-source")  # extract fails at once
    dag = DagBag(dag_folder=str(ROOT / "dags"), safe_mode=False).get_dag("reddit_sentiment")
    for task in dag.tasks:  # the wiring the DAG gets through default_args
        task.retries = 0
        task.on_failure_callback = [on_task_failure]

    dag_run = dag.test(logical_date=START + timedelta(minutes=30))
    assert str(getattr(dag_run.state, "value", dag_run.state)) == "failed"
    dsn = pipeline_env["DATABASE_URL"]

    events = _fetch(
        dsn,
        "SELECT event, dag_id, task_id, try_number, message, notified, notify_error"
        " FROM tickerpulse.run_events",
    )
    assert len(events) == 1
    event, dag_id, task_id, try_number, message, notified, notify_error = events[0]
    assert (event, dag_id, task_id, try_number) == ("task_failed", "reddit_sentiment", "extract", 1)
    assert "ValueError: unknown TICKERPULSE_REDDIT_SOURCE 'no-such-source'" in message
    assert notified is True
    assert notify_error is None
    assert len(received) == 1
    assert "no-such-source" in received[0]["text"]
    assert received[0]["event"]["task_id"] == "extract"
    assert received[0]["event"]["interval_start"] == START.isoformat()

    task_rows = _fetch(dsn, "SELECT task_id, state, error FROM tickerpulse.task_runs")
    assert task_rows == [("extract", "failed", message)]
    assert _fetch(dsn, "SELECT state FROM tickerpulse.dag_runs") == [("failed",)]
