"""Airflow connections, read only when a task runs.

This is the thin adapter between the package and Airflow's secrets: `AIRFLOW_CONN_*` environment
variables are read directly (JSON or URI, as Airflow documents them; through
`Settings.connection_env`, the settings being the one reader of the environment), and otherwise
Airflow's own lookup is used when Airflow is importable. It is never called at DAG parse time.

Reading the environment directly skips the step where Airflow registers a connection's secrets
with its log masker, so every connection returned here is registered (`register_secrets`): the
password, extra values under sensitive names (api_key, token, secret, Authorization header, ...)
and a URL host that carries credentials (a webhook). `mask_dsn` does the same for a DSN that
comes from `DATABASE_URL` rather than a connection. Airflow does not mask values shorter than
`[logging] min_length_masked_secret` (5 characters by default).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from tickerpulse.config import Settings, load_settings

# A URL host of these connection types is the credential itself (an incoming-webhook URL).
_URL_SECRET_TYPES = ("http", "slack", "webhook")


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


def _mask(value: Any) -> None:
    """Register a value (a string, or a dict masked by its key names) with Airflow's masker."""
    if not value:
        return
    try:
        from airflow.sdk.log import mask_secret
    except ImportError:  # pragma: no cover - Airflow is a hard dependency, kept for clarity
        return
    mask_secret(value)


def _url_carries_secret(url: str, conn_type: str) -> bool:
    if not url.startswith(("https://", "http://")):
        return False
    parts = urlsplit(url)
    if parts.password or parts.query:
        return True
    return any(kind in conn_type for kind in _URL_SECRET_TYPES) and parts.path not in ("", "/")


def register_secrets(conn: dict[str, Any]) -> None:
    """Mask everything secret in a normalised connection in the task's logs from now on."""
    _mask(conn.get("password"))
    password = conn.get("password")
    if isinstance(password, str) and password.startswith(("https://", "http://")):
        _mask(unquote(password))
    _mask(conn.get("extra"))  # a dict: only values under sensitive key names
    host = conn.get("host")
    if isinstance(host, str) and _url_carries_secret(host, str(conn.get("conn_type") or "")):
        _mask(host)
        secret = urlsplit(host).password
        _mask(unquote(secret) if secret else None)


def mask_dsn(dsn: str | None) -> None:
    """Mask the password of a libpq DSN, URL (postgresql://u:p@h/db) or key/value form."""
    if not dsn:
        return
    if "://" in dsn:
        password = urlsplit(dsn).password
        if password:
            _mask(password)
            _mask(unquote(password))
        return
    for piece in _dsn_pairs(dsn):
        key, _, value = piece.partition("=")
        if key.strip() == "password":
            _mask(value)


def _dsn_pairs(dsn: str) -> list[str]:
    """key=value pieces of a key/value DSN, honouring single quotes and backslash escapes."""
    pieces: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    for char in dsn:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "'":
            quoted = not quoted
        elif char.isspace() and not quoted:
            if current:
                pieces.append("".join(current))
                current = []
        else:
            current.append(char)
    if current:
        pieces.append("".join(current))
    return pieces


def get_connection(conn_id: str, settings: Settings | None = None) -> dict[str, Any] | None:
    """The connection as a plain dict, or None when it is not defined anywhere."""
    raw = (load_settings() if settings is None else settings).connection_env(conn_id)
    if raw:
        from_env = _normalise(json.loads(raw) if raw.startswith("{") else _from_uri(raw))
        register_secrets(from_env)
        return from_env
    try:
        from airflow.sdk import BaseHook
    except ImportError:  # pragma: no cover - Airflow is a hard dependency, kept for clarity
        return None
    try:
        conn = BaseHook.get_connection(conn_id)
    except Exception:  # noqa: BLE001 - Airflow raises different types per backend for "not found"
        return None
    found = _normalise(
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
    register_secrets(found)  # Airflow masks the password; the extra's keys and a URL host too
    return found


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
