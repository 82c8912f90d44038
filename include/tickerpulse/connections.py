"""Airflow connections, read only when a task runs.

This is the thin adapter between the package and Airflow's secrets: `AIRFLOW_CONN_*` environment
variables are read directly (JSON or URI, as Airflow documents them), and otherwise Airflow's own
lookup is used when Airflow is importable. It is never called at DAG parse time.
"""

from __future__ import annotations

import json
import os
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit


def _from_uri(uri: str) -> dict[str, Any]:
    parts = urlsplit(uri)
    extra = dict(parse_qsl(parts.query))
    if "__extra__" in extra:
        extra = json.loads(extra["__extra__"])
    return {
        "conn_type": parts.scheme,
        "host": unquote(parts.hostname or "") or None,
        "port": parts.port,
        "login": unquote(parts.username) if parts.username else None,
        "password": unquote(parts.password) if parts.password else None,
        "schema": unquote(parts.path.lstrip("/")) or None,
        "extra": extra,
    }


def _normalise(conn: dict[str, Any]) -> dict[str, Any]:
    extra = conn.get("extra") or {}
    if isinstance(extra, str):
        extra = json.loads(extra) if extra.strip() else {}
    return {
        "conn_type": conn.get("conn_type"),
        "host": conn.get("host"),
        "port": conn.get("port"),
        "login": conn.get("login"),
        "password": conn.get("password"),
        "schema": conn.get("schema"),
        "extra": extra,
    }


def get_connection(conn_id: str) -> dict[str, Any] | None:
    """The connection as a plain dict, or None when it is not defined anywhere."""
    raw = os.environ.get(f"AIRFLOW_CONN_{conn_id.upper()}")
    if raw:
        raw = raw.strip()
        return _normalise(json.loads(raw) if raw.startswith("{") else _from_uri(raw))
    try:
        from airflow.sdk import BaseHook
    except ImportError:  # pragma: no cover - Airflow is a hard dependency, kept for clarity
        return None
    try:
        conn = BaseHook.get_connection(conn_id)
    except Exception:  # noqa: BLE001 - Airflow raises different types per backend for "not found"
        return None
    return _normalise(
        {
            "conn_type": conn.conn_type,
            "host": conn.host,
            "port": conn.port,
            "login": conn.login,
            "password": conn.password,
            "schema": conn.schema,
            "extra": conn.extra_dejson,
        }
    )


def postgres_dsn(conn: dict[str, Any]) -> str:
    """A libpq key/value DSN; key/value form needs no URL quoting of the password."""
    pieces = {
        "host": conn.get("host") or "127.0.0.1",
        "port": conn.get("port") or 5432,
        "dbname": conn.get("schema") or "postgres",
        "user": conn.get("login") or "postgres",
    }
    if conn.get("password"):
        pieces["password"] = conn["password"]
    for key in ("sslmode", "options"):
        if key in conn.get("extra", {}):
            pieces[key] = conn["extra"][key]
    return " ".join(
        f"{k}='{str(v).replace(chr(39), chr(92) + chr(39))}'" for k, v in pieces.items()
    )
