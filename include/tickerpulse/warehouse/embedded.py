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
