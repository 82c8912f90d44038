"""The read-only role Grafana connects through: it reads the serving tables (and for posts and
quarantine only the columns the dashboards show), and can change nothing.

Roles are cluster-wide, so other test databases on the same server share tickerpulse_reader:
nothing here creates, alters or drops it, and the one login role made here has a unique name.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import psycopg2.extensions
import pytest
from psycopg2 import errors
from psycopg2 import sql as pgsql

from tickerpulse.warehouse.migrate import migrate

from .conftest import new_database

ROOT = Path(__file__).resolve().parents[1]
READER = "tickerpulse_reader"
# What the dashboards read, whole.
SERVING_TABLES = {
    "sentiment_30m",
    "sentiment_1d",
    "sentiment_24h",
    "prices",
    "post_sentiment",
    "pipeline_runs",
    "dq_results",
    "symbols",
    "correlations",
    "hit_rates",
    "task_runs",
    "eval_runs",
    "llm_calls",
    # operations (sql/007_ops.sql): run states, failure events, backups, per-run metrics
    "dag_runs",
    "run_events",
    "backups",
    "run_metrics",
    # traders' signals (sql/051, sql/053): per-subreddit sums for the JSON API, the scorecard
    "ticker_subreddit_30m",
    "signal_scorecard",
    # coverage of each interval and subreddit (sql/020): the Pipeline dashboard and its alert
    "interval_coverage",
    # the shared Reddit request budget and what late_scores skipped (sql/021)
    "reddit_budget",
    "late_score_runs",
}
# Readable in part: the columns a panel shows, not the hashes, bodies or raw payloads.
PARTIAL = {
    "posts": {
        "post_id",
        "kind",
        "subreddit",
        "title",
        "created_utc",
        "score",
        "num_comments",
        "permalink",
        "tickers",
        "interval_start",
        "link_id",
        "removed",  # sql/052: the JSON API's explain view says why a post does not count
    },
    "quarantine": {"interval_start", "subreddit", "record_no", "record_id", "reason"},
}


@pytest.fixture(scope="module")
def warehouse(pg_admin_dsn: str) -> Iterator[str]:
    with new_database(pg_admin_dsn, "tp_test_roles") as dsn:
        migrate(dsn)
        conn = psycopg2.connect(dsn)
        with conn, conn.cursor() as cur:  # something outside the schema the reader must not see
            cur.execute("CREATE TABLE public.not_served (secret text)")
            cur.execute("INSERT INTO public.not_served VALUES ('x')")
        conn.close()
        yield dsn


@pytest.fixture
def conn(warehouse: str) -> Iterator[psycopg2.extensions.connection]:
    connection = psycopg2.connect(warehouse)
    yield connection
    connection.rollback()
    connection.close()


def as_reader(conn: psycopg2.extensions.connection, statement: str | pgsql.Composable) -> None:
    """Run one statement as the reader; the transaction is rolled back whatever happens."""
    try:
        with conn.cursor() as cur:
            cur.execute(pgsql.SQL("SET LOCAL ROLE {}").format(pgsql.Identifier(READER)))
            cur.execute(statement)
            if cur.description:
                cur.fetchall()
    finally:
        conn.rollback()


def _select(columns: list[str], table: str) -> pgsql.Composable:
    wanted = (
        pgsql.SQL("*") if columns == ["*"] else pgsql.SQL(", ").join(map(pgsql.Identifier, columns))
    )
    return pgsql.SQL("SELECT {} FROM {} LIMIT 1").format(
        wanted, pgsql.Identifier("tickerpulse", table)
    )


def tickerpulse_tables(conn: psycopg2.extensions.connection) -> set[str]:
    with conn.cursor() as cur:
        cur.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'tickerpulse'"
        )
        return {row[0] for row in cur.fetchall()}


def test_reader_reads_exactly_the_serving_tables(conn: psycopg2.extensions.connection) -> None:
    tables = tickerpulse_tables(conn)
    expected = SERVING_TABLES & tables
    assert expected >= SERVING_TABLES - {"eval_runs"}, "a serving table is missing"
    with conn.cursor() as cur:
        cur.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = 'tickerpulse' AND c.relkind IN ('r', 'v', 'm', 'p')"
            "   AND has_table_privilege(%s, c.oid, 'SELECT')",
            (READER,),
        )
        readable = {row[0] for row in cur.fetchall()}
    assert readable == expected
    for table in sorted(expected):
        as_reader(conn, _select(["*"], table))


@pytest.mark.parametrize("table", sorted(PARTIAL))
def test_reader_reads_only_the_shown_columns(
    conn: psycopg2.extensions.connection, table: str
) -> None:
    with conn.cursor() as cur:
        cur.execute(
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_schema = 'tickerpulse' AND table_name = %s",
            (table,),
        )
        columns = {row[0] for row in cur.fetchall()}
        cur.execute(
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_schema = 'tickerpulse' AND table_name = %s"
            "   AND has_column_privilege(%s, format('tickerpulse.%%I', table_name), column_name,"
            "                            'SELECT')",
            (table, READER),
        )
        readable = {row[0] for row in cur.fetchall()}
    assert readable == PARTIAL[table]
    as_reader(conn, _select(sorted(PARTIAL[table]), table))
    for hidden in sorted(columns - PARTIAL[table]):
        with pytest.raises(errors.InsufficientPrivilege):
            as_reader(conn, _select([hidden], table))


@pytest.mark.parametrize(
    "statement",
    [
        "SELECT * FROM tickerpulse.dropped",
        "SELECT * FROM public.tickerpulse_migrations",
        "SELECT * FROM public.not_served",
        "SELECT * FROM tickerpulse.posts",
        "SELECT tickerpulse.rollup_sentiment_1d(now(), now())",
    ],
)
def test_reader_cannot_read_what_is_not_served(
    conn: psycopg2.extensions.connection, statement: str
) -> None:
    with pytest.raises(errors.InsufficientPrivilege):
        as_reader(conn, statement)


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO tickerpulse.symbols (symbol, name) VALUES ('ZZZZ', 'x')",
        "INSERT INTO tickerpulse.sentiment_30m (ticker, bucket_start, mentions, unique_authors,"
        " scored) VALUES ('ZZZZ', now(), 1, 1, 1)",
        "UPDATE tickerpulse.sentiment_30m SET mentions = 0",
        "UPDATE tickerpulse.pipeline_runs SET cost_usd = 0",
        "DELETE FROM tickerpulse.prices",
        "DELETE FROM tickerpulse.posts",
        "TRUNCATE tickerpulse.sentiment_1d",
        "TRUNCATE tickerpulse.dq_results",
        "COPY tickerpulse.symbols FROM STDIN",
        "CREATE TABLE tickerpulse.mine (x int)",
        "CREATE TABLE public.mine (x int)",
        "CREATE VIEW tickerpulse.v AS SELECT 1",
        "CREATE INDEX ON tickerpulse.sentiment_30m (mentions)",
        "ALTER TABLE tickerpulse.sentiment_30m ADD COLUMN x int",
        "DROP TABLE tickerpulse.sentiment_30m",
        "CREATE SCHEMA mine",
        "CREATE FUNCTION tickerpulse.f() RETURNS int LANGUAGE sql AS 'SELECT 1'",
        "GRANT SELECT ON tickerpulse.dropped TO tickerpulse_reader",
        "ALTER ROLE tickerpulse_reader LOGIN",
    ],
)
def test_reader_cannot_write_or_change_the_schema(
    conn: psycopg2.extensions.connection, statement: str
) -> None:
    with pytest.raises(errors.InsufficientPrivilege):
        as_reader(conn, statement)


def test_reader_holds_no_write_privilege_on_any_table(conn: psycopg2.extensions.connection) -> None:
    with conn.cursor() as cur:
        cur.execute(
            "SELECT c.oid::regclass::text FROM pg_class c JOIN pg_namespace n"
            " ON n.oid = c.relnamespace WHERE n.nspname IN ('tickerpulse', 'public')"
            "   AND c.relkind IN ('r', 'p')"
            "   AND has_table_privilege(%s, c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES,"
            " TRIGGER')",
            (READER,),
        )
        assert cur.fetchall() == []
        cur.execute("SELECT has_schema_privilege(%s, 'tickerpulse', 'CREATE')", (READER,))
        assert cur.fetchone() == (False,)


def test_a_login_member_of_the_reader_reads_and_cannot_write(warehouse: str) -> None:
    """What Grafana does: log in as its own role, a member of the reader."""
    login = f"tp_test_grafana_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(warehouse)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(
            pgsql.SQL("CREATE ROLE {} LOGIN IN ROLE {}").format(
                pgsql.Identifier(login), pgsql.Identifier(READER)
            )
        )
    try:
        dsn = " ".join(p for p in warehouse.split() if not p.startswith("user=")) + f" user={login}"
        if warehouse.startswith("postgres"):
            pytest.skip("login test needs a key=value DSN")
        grafana = psycopg2.connect(dsn)
        try:
            with grafana.cursor() as cur:
                cur.execute("SELECT count(*) FROM tickerpulse.sentiment_30m")
                assert cur.fetchone() == (0,)
            grafana.rollback()
            with pytest.raises(errors.InsufficientPrivilege), grafana.cursor() as cur:
                cur.execute("DELETE FROM tickerpulse.sentiment_30m")
        finally:
            grafana.close()
    finally:
        with admin.cursor() as cur:
            cur.execute(pgsql.SQL("DROP ROLE {}").format(pgsql.Identifier(login)))
        admin.close()


def test_roles_migration_is_safe_when_the_role_exists_and_runs_concurrently(
    pg_admin_dsn: str,
) -> None:
    """Two warehouses migrating at once on one server, the role already there: both succeed,
    and running 002 again changes nothing."""
    with (
        new_database(pg_admin_dsn, "tp_test_roles_c") as first,
        new_database(pg_admin_dsn, "tp_test_roles_c") as second,
    ):
        failures: list[BaseException] = []

        def run(dsn: str) -> None:
            try:
                migrate(dsn)
            except BaseException as exc:  # noqa: BLE001 - reported below
                failures.append(exc)

        threads = [threading.Thread(target=run, args=(dsn,)) for dsn in (first, second)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not failures, failures
        conn = psycopg2.connect(first)
        try:
            with conn, conn.cursor() as cur:
                cur.execute((ROOT / "sql" / "002_roles.sql").read_text(encoding="utf-8"))
                cur.execute((ROOT / "sql" / "004_serving.sql").read_text(encoding="utf-8"))
                cur.execute("SELECT rolcanlogin FROM pg_roles WHERE rolname = %s", (READER,))
                assert cur.fetchone() == (False,)
            assert tickerpulse_tables(conn) >= SERVING_TABLES - {"eval_runs"}
        finally:
            conn.close()
