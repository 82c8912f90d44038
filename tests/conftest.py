"""Shared fixtures: an isolated Airflow home, a real PostgreSQL, a fresh warehouse per test.

PostgreSQL is the machine's server on 127.0.0.1:5432 when one answers, else an embedded one
(pgserver) started for the session, so the suite passes on a machine with nothing installed.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

ROOT = Path(__file__).resolve().parents[1]

# Property tests run the same generated cases on every run, so `make test` passes or fails the
# same way on any machine; TICKERPULSE_HYPOTHESIS_EXPLORE=1 draws new cases to hunt for bugs.
hypothesis_settings.register_profile("suite", derandomize=True, database=None)
hypothesis_settings.register_profile("explore", database=None)
hypothesis_settings.load_profile(
    "explore" if os.environ.get("TICKERPULSE_HYPOTHESIS_EXPLORE") == "1" else "suite"
)
SHARED_DATA = ROOT.parent / "shared" / "data"

# Airflow reads its configuration at import time, so this must happen before any test imports it.
_AIRFLOW_HOME = Path(tempfile.mkdtemp(prefix="tickerpulse-airflow-"))
os.environ["AIRFLOW_HOME"] = str(_AIRFLOW_HOME)
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(ROOT / "dags")
os.environ["AIRFLOW__CORE__PARALLELISM"] = "4"
os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{_AIRFLOW_HOME}/airflow.db"
os.environ.setdefault("TICKERPULSE_HOME", str(_AIRFLOW_HOME / "work"))
os.environ.setdefault("YF_DISABLE_CURL_CFFI", "1")
os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")


@pytest.fixture(scope="session")
def pg_admin_dsn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A DSN with the right to create databases: the local server, else an embedded one."""
    from tickerpulse.warehouse.embedded import embedded_dsn, local_admin_dsn

    local = local_admin_dsn() if os.environ.get("TICKERPULSE_TEST_EMBEDDED") != "1" else None
    yield local or embedded_dsn(tmp_path_factory.mktemp("pgdata"))


@contextmanager
def new_database(admin_dsn: str, prefix: str = "tp_test") -> Iterator[str]:
    """A new, empty database on the server of `admin_dsn` (its DSN), dropped on exit."""
    import psycopg2
    from psycopg2 import sql

    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = psycopg2.connect(admin_dsn)
    admin.autocommit = True
    try:
        with admin.cursor() as cur:
            cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        yield _with_dbname(admin_dsn, name)
    finally:
        with admin.cursor() as cur:
            cur.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
        admin.close()


@pytest.fixture
def fresh_db(pg_admin_dsn: str) -> Iterator[str]:
    """A new, empty database for one test, dropped afterwards."""
    with new_database(pg_admin_dsn) as dsn:
        yield dsn


def _with_dbname(dsn: str, name: str) -> str:
    if dsn.startswith("postgres"):
        from urllib.parse import urlsplit, urlunsplit

        parts = urlsplit(dsn)
        return urlunsplit(parts._replace(path=f"/{name}"))
    pieces = [p for p in dsn.split() if not p.startswith("dbname=")]
    return " ".join([*pieces, f"dbname={name}"])


@pytest.fixture
def pipeline_env(fresh_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Environment for one pipeline: fresh warehouse, a lake folder, replay sources, offline."""
    env = {
        "DATABASE_URL": fresh_db,
        "TICKERPULSE_HOME": str(tmp_path / "home"),
        "TICKERPULSE_LAKE_URL": (tmp_path / "lake").as_uri(),
        "TICKERPULSE_REDDIT_SOURCE": "replay",
        "TICKERPULSE_PRICE_SOURCE": "replay",
        "TICKERPULSE_SCORER": "offline",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


@pytest.fixture
def isolated_yfinance_cache(tmp_path: Path) -> None:
    """yfinance keeps time zones and cookies in a per-user SQLite cache: keep tests out of it."""
    import yfinance as yf

    yf.set_tz_cache_location(str(tmp_path / "yf-cache"))


def shared_data(*parts: str) -> Path:
    """A path under ../shared/data, or a skip with the reason when it is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared data not present: {path} (tests that need real data skip without it)")
    return path


@pytest.fixture(scope="session")
def airflow_db() -> None:
    """A fresh Airflow metadata database (SQLite in the temp AIRFLOW_HOME), once per session."""
    from airflow.utils.db import resetdb

    resetdb(skip_init=False)
    from airflow.models.pool import Pool

    Pool.create_or_update_pool(
        name="llm", slots=4, description="LLM scoring", include_deferred=False
    )
