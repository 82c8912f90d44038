"""A checksum per warehouse table, to prove that a re-run or backfill left the tables identical.

Rows are hashed as text in a canonical order, so two warehouses compare equal exactly when they
hold the same rows. `pipeline_checksums` leaves out the operational history (OPS_TABLES), which a
re-run adds to by design; a caller comparing runs that legitimately differ in some columns (the
soak: tokens a retry spent) names them in `skip_columns`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import psycopg2
from psycopg2 import sql

from tickerpulse.warehouse.queries import query

Checksums = dict[str, tuple[int, str]]

# Tables that record operational history (who ran when, backups, failures). A re-run of an
# interval adds rows to them while the pipeline tables stay byte-identical, so compare warehouse
# checksums without them.
# llm_budgets and llm_calls (sql/009) are per-run spend and call traces: history, not output.
# reddit_budget* (sql/021) are the shared request budget's state. interval_coverage (sql/020) is
# compared: the raw partition carries its fetch's row, and a run that reads it back writes it.
OPS_TABLES = frozenset(
    {
        "task_runs",
        "dag_runs",
        "run_events",
        "backups",
        "llm_budgets",
        "llm_calls",
        # Reddit requests granted, by client and time: when calls happened, not what they said
        "reddit_budget",
        "reddit_budget_grants",
    }
)


def table_checksums(
    conn: Any,
    schema: str = "tickerpulse",
    *,
    skip_columns: Mapping[str, Sequence[str]] | None = None,
    replace: tuple[str, str] | None = None,
) -> Checksums:
    """{table: (row count, md5 over the rows in a canonical order)}.

    `skip_columns` maps a table to columns left out of its rows ("*": the whole table);
    `replace` rewrites a substring of every row's text first (e.g. a per-run working folder).
    """
    skip_columns = skip_columns or {}
    out: Checksums = {}
    with conn.cursor() as cur:
        cur.execute(query("list_tables"), {"schema": schema})
        tables = sorted(r[0] for r in cur.fetchall())
        for table in tables:
            skip = skip_columns.get(table, ())
            if "*" in skip:
                continue
            row: sql.Composable = sql.SQL("t::text")
            if skip:
                cur.execute(query("list_columns"), {"schema": schema, "table": table})
                columns = [r[0] for r in cur.fetchall() if r[0] not in skip]
                row = sql.SQL("ROW({})::text").format(
                    sql.SQL(", ").join(map(sql.Identifier, columns))
                )
            if replace is not None:
                row = sql.SQL("replace({}, %(old)s, %(new)s)").format(row)
            statement = sql.SQL(
                "SELECT count(*), coalesce(md5(string_agg(r, E'\\n' ORDER BY r)), '')"
                " FROM (SELECT {} AS r FROM {} t) rows"
            ).format(row, sql.Identifier(schema, table))
            old, new = replace or ("", "")
            cur.execute(statement, {"old": old, "new": new})
            count, digest = cur.fetchone()
            out[table] = (int(count), str(digest))
    return out


def pipeline_checksums(dsn: str, **options: Any) -> Checksums:
    """`table_checksums` of the warehouse at `dsn`, without the operational history tables."""
    with psycopg2.connect(dsn) as conn:
        sums = table_checksums(conn, **options)
    conn.close()
    return {table: value for table, value in sums.items() if table not in OPS_TABLES}
