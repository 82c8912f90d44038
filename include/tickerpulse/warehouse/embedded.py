"""An embedded PostgreSQL for machines that have none (the `make demo` default).

pgserver ships a PostgreSQL build inside a wheel, so "install and run" needs no system package and
no Docker. The data lives under the project's working folder. pgserver reference-counts handles
across processes and stops the server when the last one exits, so Airflow task processes can share
it with the process that started it.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

logging.getLogger("pgserver").setLevel(logging.WARNING)  # its start/stop chatter is not news

_servers: dict[Path, Any] = {}


def embedded_dsn(pgdata: Path) -> str:
    import pgserver

    pgdata = pgdata.resolve()
    if pgdata not in _servers:
        pgdata.mkdir(parents=True, exist_ok=True)
        _servers[pgdata] = pgserver.get_server(pgdata, cleanup_mode="stop")
    uri: str = _servers[pgdata].get_uri()
    return uri


def local_admin_dsn() -> str | None:
    """A superuser DSN of a PostgreSQL already answering on 127.0.0.1:5432, or None.

    Tests, the soak and benchmarks prefer such a server (it is faster than starting one) and fall
    back to `embedded_dsn` without it.
    """
    import psycopg2

    for user in ("postgres", "root"):
        dsn = f"host=127.0.0.1 port=5432 dbname=postgres user={user}"
        try:
            psycopg2.connect(dsn, connect_timeout=2).close()
        except psycopg2.OperationalError:
            continue
        return dsn
    return None
