"""Where the warehouse is, and a connection to it.

Resolution order, first match wins: `DATABASE_URL`; the Airflow connection named by
TICKERPULSE_DB_CONN_ID (default `tickerpulse_db`); an embedded PostgreSQL under
`$TICKERPULSE_HOME/pgdata`. The same order everywhere (tasks, CLI, tests) means the CLI reads the
same tables the DAG wrote.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg2
import psycopg2.extensions

from tickerpulse.config import Settings
from tickerpulse.connections import get_connection, mask_dsn, postgres_dsn
from tickerpulse.warehouse.embedded import embedded_dsn

log = logging.getLogger(__name__)


def resolve_dsn(settings: Settings) -> str:
    if settings.database_url:
        mask_dsn(settings.database_url)  # env vars bypass Airflow's connection masking
        return settings.database_url
    conn = get_connection(settings.db_conn_id, settings)
    if conn is not None:
        return postgres_dsn(conn)
    return embedded_dsn(settings.home / "pgdata")


@contextmanager
def connect(
    settings: Settings | str, application_name: str = "tickerpulse"
) -> Iterator[psycopg2.extensions.connection]:
    """A connection whose transaction commits on success and rolls back on any error.

    Not psycopg2's `with conn:`: when the server has dropped the connection (a terminated
    backend, a restart), its rollback raises "connection already closed" and that hides the
    error that says what happened. Here the original error always propagates; the server has
    rolled the transaction back by itself.
    """
    dsn = settings if isinstance(settings, str) else resolve_dsn(settings)
    conn = psycopg2.connect(dsn, application_name=application_name)
    try:
        yield conn
        conn.commit()
    except BaseException:
        if not conn.closed:
            try:
                conn.rollback()
            except psycopg2.Error:
                log.warning("rollback failed; the server has dropped the transaction anyway")
        raise
    finally:
        conn.close()
