"""Named SQL, kept in .sql files under sql/queries/ so it can be read, reviewed and tested as SQL.

Post text reaches SQL only as parameters (psycopg2 `%(name)s` placeholders), never by formatting.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from tickerpulse.config import load_settings


def sql_dir() -> Path:
    """The folder of the migrations and of queries/: the project's sql/, or TICKERPULSE_SQL_DIR."""
    return load_settings().sql_dir


@cache
def query(name: str) -> str:
    """The text of sql/queries/<name>.sql."""
    return (sql_dir() / "queries" / f"{name}.sql").read_text(encoding="utf-8")
