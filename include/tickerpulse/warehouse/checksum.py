"""A checksum per warehouse table, to prove that a re-run or backfill left the tables identical."""

from __future__ import annotations

from typing import Any

from psycopg2 import sql

from tickerpulse.warehouse.queries import query


def table_checksums(conn: Any, schema: str = "tickerpulse") -> dict[str, tuple[int, str]]:
    """{table: (row count, md5 over the rows in a canonical order)}."""
    out: dict[str, tuple[int, str]] = {}
    with conn.cursor() as cur:
        cur.execute(query("list_tables"), {"schema": schema})
        tables = [r[0] for r in cur.fetchall()]
        for table in tables:
            statement = sql.SQL(
                "SELECT count(*), coalesce(md5(string_agg(t::text, E'\\n' ORDER BY t::text)), '')"
                " FROM {} t"
            ).format(sql.Identifier(schema, table))
            cur.execute(statement)
            count, digest = cur.fetchone()
            out[table] = (int(count), str(digest))
    return out
