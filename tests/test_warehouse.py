"""Migrations and COPY against a real PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import psycopg2

from tickerpulse.warehouse.copy import copy_rows
from tickerpulse.warehouse.migrate import migrate, migration_files

NASTY = [
    "Robert'); DROP TABLE tickerpulse.posts;--",
    'quote " and "" double',
    "new\nline, comma, back\\slash",
    "",
    "emoji 🚀 and RTL \u202eTEXT",
    "\\N",
]


def test_migrations_apply_once_and_rerun_cleanly(fresh_db: str) -> None:
    names = [name for _, name, _ in migration_files()]
    assert migrate(fresh_db) == names
    assert migrate(fresh_db) == []
    with psycopg2.connect(fresh_db) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM public.tickerpulse_migrations")
        assert cur.fetchone()[0] == len(names)
        # every file can also run again on its own (safe to re-run), as the design requires
        for _, _, text in migration_files():
            cur.execute(text)
        cur.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'tickerpulse'"
        )
        tables = {r[0] for r in cur.fetchall()}
    assert {
        "posts",
        "post_sentiment",
        "prices",
        "sentiment_30m",
        "dq_results",
        "quarantine",
        "dropped",
        "pipeline_runs",
        "symbols",
    } <= tables


def test_copy_keeps_hostile_text_as_data_and_null_distinct_from_empty(fresh_db: str) -> None:
    migrate(fresh_db)
    start = datetime(2024, 3, 5, 14, 0, tzinfo=UTC)
    rows = [
        {
            "interval_start": start,
            "subreddit": "s",
            "record_no": i,
            "record_id": None,
            "reason": text,
            "raw_json": text,
        }
        for i, text in enumerate(NASTY)
    ]
    rows[0]["record_id"] = "t3_x"
    with psycopg2.connect(fresh_db) as conn, conn.cursor() as cur:
        n = copy_rows(
            cur,
            "tickerpulse.quarantine",
            ["interval_start", "subreddit", "record_no", "record_id", "reason", "raw_json"],
            rows,
        )
        assert n == len(NASTY)
        cur.execute("SELECT record_no, record_id, reason FROM tickerpulse.quarantine ORDER BY 1")
        got = cur.fetchall()
        cur.execute("SELECT count(*) FROM tickerpulse.posts")  # still there
    assert [r[2] for r in got] == NASTY
    assert got[0][1] == "t3_x"
    assert got[1][1] is None
