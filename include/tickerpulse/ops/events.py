"""Run events: the failure callback that records a row and, when configured, notifies a webhook.

Wire `on_task_failure` as `on_failure_callback` (in a DAG's default_args). It runs in the task
process after the final try fails (not on a retry). It writes a row to tickerpulse.run_events and,
when the Airflow connection named by TICKERPULSE_ALERT_CONN_ID (default `tickerpulse_alerts`)
exists, POSTs a JSON message to it:

* a Slack incoming webhook: conn_type `slackwebhook` (or any type) whose password is the full
  `https://hooks.slack.com/services/…` URL, or just the `T…/B…/…` token part;
* any other webhook: conn_type `http` (or `generic`) whose host is the full URL
  (`https://alerts.example.com/hook`), optional extra `{"headers": {...}}`.

Slack reads the `text` field; a generic receiver also gets the structured `event` object. A
missing connection means "do not notify", not an error; a failing webhook is recorded in the row
(notify_error) and never raises, so an alerting outage cannot hide the original failure.
"""

from __future__ import annotations

import json
import logging
import urllib.request
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from tickerpulse.config import load_settings
from tickerpulse.connections import get_connection
from tickerpulse.ops.run_metrics import metrics_dsn, truncate_error
from tickerpulse.warehouse.db import connect
from tickerpulse.warehouse.queries import query

log = logging.getLogger(__name__)

SLACK_BASE = "https://hooks.slack.com/services/"
WEBHOOK_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class RunEvent:
    event: str
    dag_id: str
    run_id: str | None
    task_id: str | None
    map_index: int | None
    try_number: int | None
    interval_start: datetime | None
    message: str

    def text(self) -> str:
        where = self.task_id or "-"
        if self.map_index is not None and self.map_index >= 0:
            where += f"[{self.map_index}]"
        interval = self.interval_start.isoformat() if self.interval_start else "no interval"
        return (
            f":red_circle: {self.event}: {self.dag_id}.{where} try {self.try_number}"
            f" ({interval}, run {self.run_id}): {self.message}"
        )


def webhook_target(conn: dict[str, Any] | None) -> tuple[str, dict[str, str], bool] | None:
    """(url, extra headers, is_slack) for a connection, or None when it names no URL."""
    if conn is None:
        return None
    extra = conn.get("extra") or {}
    headers = {str(k): str(v) for k, v in (extra.get("headers") or {}).items()}
    password = (conn.get("password") or "").strip()
    host = (conn.get("host") or "").strip()
    conn_type = (conn.get("conn_type") or "").lower()
    if password.startswith(("https://", "http://")):
        return password, headers, SLACK_BASE in password or "slack" in conn_type
    if "slack" in conn_type and password:
        return SLACK_BASE + password.lstrip("/"), headers, True
    if host.startswith(("https://", "http://")):
        url = host
        if conn.get("schema") and not url.endswith("/" + str(conn["schema"])):
            url = url.rstrip("/") + "/" + str(conn["schema"]).lstrip("/")
        return url, headers, SLACK_BASE in url or "slack" in conn_type
    return None


def notify(event: RunEvent, conn: dict[str, Any] | None) -> tuple[bool, str | None]:
    """POST the event; (notified, error). Never raises."""
    target = webhook_target(conn)
    if target is None:
        return False, None
    url, headers, is_slack = target
    body: dict[str, Any] = {"text": event.text()}
    if not is_slack:
        body["event"] = {
            k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in asdict(event).items()
        }
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode("utf-8"),
        headers={"Content-Type": "application/json", **headers},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT_S) as response:  # noqa: S310
            status = int(response.status)
    except Exception as exc:  # noqa: BLE001 - alerting must not raise over the real failure
        log.warning("webhook notification failed: %s", exc)
        return False, truncate_error(exc)
    if status >= 300:
        return False, f"HTTP {status}"
    return True, None


def record_run_event(dsn: str, event: RunEvent, notified: bool, notify_error: str | None) -> int:
    """Insert the row; returns its event_id."""
    from tickerpulse.ops.run_metrics import _ensure_schema

    _ensure_schema(dsn)
    with connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(
            query("ops_insert_run_event"),
            {**asdict(event), "notified": notified, "notify_error": notify_error},
        )
        row = cur.fetchone()
    return int(row[0]) if row else 0


def event_from_context(context: Any, event: str = "task_failed") -> RunEvent:
    """A RunEvent from an Airflow task context (a Mapping in Airflow 3)."""
    ti = context.get("task_instance") or context.get("ti")
    dag_run = context.get("dag_run")
    error = context.get("exception")
    interval_start = context.get("data_interval_start")
    if interval_start is None and dag_run is not None:
        from tickerpulse.intervals import resolve_interval

        run_after = getattr(dag_run, "run_after", None)
        if run_after is not None:
            interval_start = resolve_interval(None, None, run_after).start
    dag_id = getattr(ti, "dag_id", None) or getattr(dag_run, "dag_id", None) or "unknown"
    return RunEvent(
        event=event,
        dag_id=str(dag_id),
        run_id=getattr(ti, "run_id", None) or getattr(dag_run, "run_id", None),
        task_id=getattr(ti, "task_id", None),
        map_index=getattr(ti, "map_index", None),
        try_number=getattr(ti, "try_number", None),
        interval_start=interval_start,
        message=truncate_error(error) or "failed (no exception in the context)",
    )


def on_task_failure(context: Any) -> None:
    """`on_failure_callback`: record the failure and notify the optional webhook. Never raises."""
    try:
        event = event_from_context(context)
        settings = load_settings()
        notified, error = notify(event, get_connection(settings.alert_conn_id, settings))
        from tickerpulse.ops.switches import warehouse_enabled

        dsn = metrics_dsn(settings) if warehouse_enabled(settings) else None
        if dsn is None:
            log.warning("no warehouse configured: run event not recorded: %s", event.text())
            return
        record_run_event(dsn, event, notified, error)
    except Exception:  # noqa: BLE001 - a callback that raises only adds noise to the failure
        log.exception("failure callback could not record the run event")
