"""The JSON API's connections: a login that is a member of tickerpulse_reader and nothing more.

The API never holds a writing role. Before it serves anything it asks Postgres who it is and
refuses to start when that login is a superuser, is not a member of the reader role, or may write
any table (`ReaderCheckFailed`). Every connection is also read-only at the session level.

`TICKERPULSE_API_DATABASE_URL` names the login. Without it (a laptop, `make demo`'s embedded
Postgres) `local_reader_dsn` creates the login `tickerpulse_api`, a member of the reader only,
on the warehouse the settings point at, and connects as it; that works where the server trusts
local connections, which is what the embedded server and the test server do. docker-compose
creates the login with a password instead (docker/postgres-init).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

import psycopg2
import psycopg2.extensions
from psycopg2 import sql as pgsql
from psycopg2.pool import ThreadedConnectionPool

from tickerpulse.config import Settings
from tickerpulse.warehouse.db import resolve_dsn
from tickerpulse.warehouse.queries import query

log = logging.getLogger(__name__)

APP_NAME = "tickerpulse-api"
LOCAL_LOGIN = "tickerpulse_api"
READER = "tickerpulse_reader"


class ReaderCheckFailed(RuntimeError):
    """The API's login could do more than read: it must not serve with it."""


def with_user(dsn: str, user: str) -> str:
    """The same server and database as `dsn`, logged in as `user` (no password)."""
    if dsn.startswith("postgres"):
        parts = urlsplit(dsn)
        host = parts.netloc.rpartition("@")[2]
        return urlunsplit(parts._replace(netloc=f"{user}@{host}"))
    pieces = [p for p in dsn.split() if not p.startswith(("user=", "password="))]
    return " ".join([*pieces, f"user={user}"])


def local_reader_dsn(settings: Settings) -> str:
    """Create (once) the passwordless login tickerpulse_api, a member of the reader role only,
    and return the warehouse DSN logged in as it. For local use; see the module docstring."""
    admin = resolve_dsn(settings)
    conn = psycopg2.connect(admin, application_name=APP_NAME)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (LOCAL_LOGIN,))
            if cur.fetchone() is None:
                try:
                    cur.execute(
                        pgsql.SQL("CREATE ROLE {} LOGIN IN ROLE {}").format(
                            pgsql.Identifier(LOCAL_LOGIN), pgsql.Identifier(READER)
                        )
                    )
                except psycopg2.errors.DuplicateObject:
                    pass  # another process created it between the check and the CREATE
    finally:
        conn.close()
    return with_user(admin, LOCAL_LOGIN)


def check_reader(dsn: str) -> str:
    """The login's name, after checking it can only read; ReaderCheckFailed otherwise."""
    conn = psycopg2.connect(dsn, application_name=APP_NAME)
    try:
        with conn.cursor() as cur:
            cur.execute(query("api_reader_check"))
            user, is_reader, is_superuser, writable = cur.fetchone()
    finally:
        conn.close()
    if is_superuser:
        raise ReaderCheckFailed(f"the API's login {user!r} is a superuser; give it a reader login")
    if not is_reader:
        raise ReaderCheckFailed(f"the API's login {user!r} is not a member of {READER}")
    if writable:
        raise ReaderCheckFailed(f"the API's login {user!r} may write {writable} table(s)")
    return str(user)


class ReaderPool:
    """A small pool of read-only sessions as the checked login."""

    def __init__(self, dsn: str, size: int = 4) -> None:
        self.user = check_reader(dsn)
        self._pool = ThreadedConnectionPool(
            1,
            size,
            dsn,
            application_name=APP_NAME,
            options="-c default_transaction_read_only=on -c statement_timeout=15000",
        )
        self._lock = threading.Lock()

    @contextmanager
    def cursor(self) -> Iterator[psycopg2.extensions.cursor]:
        with self._lock:
            conn = self._pool.getconn()
        try:
            with conn.cursor() as cur:
                yield cur
            conn.rollback()  # read-only: nothing to commit, and no transaction left open
        except BaseException:
            conn.rollback()
            raise
        finally:
            with self._lock:
                self._pool.putconn(conn)

    def close(self) -> None:
        self._pool.closeall()
