"""Where the warehouse is, and a connection to it.

Resolution order, first match wins: `DATABASE_URL`; the Airflow connection named by
TICKERPULSE_DB_CONN_ID (default `tickerpulse_db`); an embedded PostgreSQL under
`$TICKERPULSE_HOME/pgdata`. The same order everywhere (tasks, CLI, tests) means the CLI reads the
same tables the DAG wrote.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg2
import psycopg2.extensions

from tickerpulse.config import Settings
from tickerpulse.connections import get_connection, postgres_dsn
from tickerpulse.warehouse.embedded import embedded_dsn


def resolve_dsn(settings: Settings) -> str:
    if settings.database_url:
        return settings.database_url
    conn = get_connection(settings.db_conn_id)
    if conn is not None:
        return postgres_dsn(conn)
    return embedded_dsn(settings.home / "pgdata")


@contextmanager
def connect(settings: Settings | str) -> Iterator[psycopg2.extensions.connection]:
    """A connection whose transaction commits on success and rolls back on any error."""
    dsn = settings if isinstance(settings, str) else resolve_dsn(settings)
    conn = psycopg2.connect(dsn, application_name="tickerpulse")
    try:
        with conn:
            yield conn
    finally:
        conn.close()
