"""COPY rows into Postgres as CSV.

COPY is an order of magnitude faster than row-by-row INSERTs, and its values travel as data, never
as SQL text, so post text cannot inject anything. NULL is the unquoted empty field and every string
is quoted, so an empty string and a NULL stay distinct.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from psycopg2 import sql


def _field(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        inner = ",".join(
            '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"' for v in value
        )
        value = "{" + inner + "}"
    elif isinstance(value, dict):
        value = json.dumps(value, sort_keys=True)
    text = str(value)
    return '"' + text.replace('"', '""') + '"'


def copy_rows(cur: Any, table: str, columns: Sequence[str], rows: Iterable[dict[str, Any]]) -> int:
    """COPY `rows` into `table` (schema-qualified, e.g. "tickerpulse.quarantine")."""
    buffer = io.StringIO()
    count = 0
    for row in rows:
        buffer.write(",".join(_field(row[c]) for c in columns))
        buffer.write("\n")
        count += 1
    if count == 0:
        return 0
    buffer.seek(0)
    schema, _, name = table.rpartition(".")
    target = sql.Identifier(schema, name) if schema else sql.Identifier(name)
    statement = sql.SQL("COPY {} ({}) FROM STDIN WITH (FORMAT csv)").format(
        target, sql.SQL(", ").join(sql.Identifier(c) for c in columns)
    )
    cur.copy_expert(statement.as_string(cur), buffer)
    return count
