"""Backups: a real pg_dump of a loaded warehouse to the lake, restored into a fresh database.

Also the retention rules for dumps and for the lake's day partitions, on a real lake folder.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg2
import pytest

from tests.conftest import new_database
from tickerpulse.lake import Lake
from tickerpulse.ops.backup import (
    backup_name,
    backup_warehouse,
    backups_to_delete,
    download_backup,
    find_pg_tool,
    prune_backups,
    restore_command,
    restore_file,
    server_version,
    table_row_counts,
)
from tickerpulse.ops.retention import prune_lake, prune_zones
from tickerpulse.warehouse.migrate import migrate

NOW = datetime(2024, 6, 1, 3, 15, tzinfo=UTC)


def _seed(dsn: str) -> None:
    """A migrated warehouse with rows in several tables, including text that needs quoting."""
    migrate(dsn)
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(
            "INSERT INTO tickerpulse.symbols (symbol, name, exchange) VALUES"
            " ('AAPL', 'Apple Inc.', 'NASDAQ'), ('O''B', 'Quote''s \"Co\"\\n', 'NYSE')"
        )
        cur.execute(
            "INSERT INTO tickerpulse.prices (ticker, bar_size, bar_start, open, high, low, close,"
            " volume, source) SELECT 'AAPL', '30m', t, 1, 2, 0.5, 1.5, 100, 'replay'"
            " FROM generate_series('2024-03-05'::timestamptz, '2024-03-06', '30 min') t"
        )
        cur.execute(
            "INSERT INTO tickerpulse.task_runs (dag_id, run_id, task_id, state, start_date,"
            " counts) VALUES ('d', 'r', 't', 'success', now(), '{\"in\": 3}')"
        )


def test_dump_restore_round_trip_gives_identical_row_counts(
    fresh_db: str, pg_admin_dsn: str, tmp_path: Path
) -> None:

    _seed(fresh_db)
    at_dump_time = table_row_counts(fresh_db)
    lake = Lake((tmp_path / "lake").as_uri())
    done = backup_warehouse(fresh_db, lake, now=NOW)
    assert done.url.endswith("backups/warehouse/" + backup_name(NOW))
    assert done.size_bytes > 0
    assert len(done.sha256) == 64

    with new_database(pg_admin_dsn, "tp_restore") as restored_dsn:
        local = download_backup(lake, done.url, tmp_path / "w.dump")
        restore_file(local, restored_dsn)
        restored = table_row_counts(restored_dsn)
        assert restored == at_dump_time  # every table, public.tickerpulse_migrations included
        assert len(restored) >= 10
        assert restored["tickerpulse.symbols"] == 2
        assert restored["tickerpulse.prices"] == 49
        # the dump's own row in tickerpulse.backups is written once the upload succeeded
        assert table_row_counts(fresh_db)["tickerpulse.backups"] == 1
        with psycopg2.connect(restored_dsn) as conn, conn.cursor() as cur:
            cur.execute("SELECT name FROM tickerpulse.symbols WHERE symbol = 'O''B'")
            assert cur.fetchone() == ('Quote\'s "Co"\\n',)
            cur.execute("SELECT count(*) FROM public.tickerpulse_migrations")
            assert cur.fetchone()[0] > 0


def test_pg_tool_matches_the_server_major(fresh_db: str) -> None:
    from tickerpulse.ops.backup import tool_major

    major, _ = server_version(fresh_db)
    tool = find_pg_tool("pg_dump", major)
    assert tool_major(tool) == major
    with pytest.raises(FileNotFoundError):
        find_pg_tool("pg_dump", 99)


def test_restore_command_keeps_the_password_off_the_command_line() -> None:
    cmd = restore_command(Path("/b/w.dump"), "postgresql://u:s3cret@db:5432/new")
    assert "s3cret" not in cmd
    assert cmd.startswith("pg_restore --no-owner --exit-on-error")
    assert "dbname=new" in cmd
    assert cmd.endswith("/b/w.dump")


def test_libpq_args_quote_what_libpq_would_misread_and_drop_the_password() -> None:
    import psycopg2.extensions

    from tickerpulse.ops.backup import libpq_args

    dsn = "host=db port=5432 dbname='my db' user='o\\'brien' password=s3cret"
    conninfo, env = libpq_args(dsn)
    assert "s3cret" not in conninfo
    assert env["PGPASSWORD"] == "s3cret"
    parsed = psycopg2.extensions.parse_dsn(conninfo)
    assert parsed == {"host": "db", "port": "5432", "dbname": "my db", "user": "o'brien"}


def test_backups_to_delete_keeps_recent_and_a_minimum() -> None:
    names = [backup_name(NOW - timedelta(days=d)) for d in range(0, 30)] + ["notes.txt"]
    doomed = backups_to_delete(names, NOW, keep_days=14, keep_min=3)
    assert len(doomed) == 15  # days 15..29 (day 14 is exactly at the cutoff and kept)
    assert backup_name(NOW - timedelta(days=15)) in doomed
    assert "notes.txt" not in doomed
    old_only = [backup_name(NOW - timedelta(days=d)) for d in (40, 50, 60, 70)]
    assert backups_to_delete(old_only, NOW, keep_days=14, keep_min=3) == [old_only[-1]]


def test_prune_backups_deletes_files_in_the_lake(tmp_path: Path) -> None:
    lake = Lake((tmp_path / "lake").as_uri())
    for days in (1, 20, 30, 40, 50):
        lake.write_bytes(f"backups/warehouse/{backup_name(NOW - timedelta(days=days))}", b"x")
    deleted = prune_backups(lake, now=NOW, keep_days=14, keep_min=3)
    assert len(deleted) == 2
    left = sorted(Path(u.removeprefix("file://")).name for u in lake.list("backups/warehouse"))
    assert left == sorted(backup_name(NOW - timedelta(days=d)) for d in (1, 20, 30))


def test_lake_retention_deletes_old_day_partitions_only(tmp_path: Path) -> None:
    lake = Lake((tmp_path / "lake").as_uri())
    for day in ("2024-05-30", "2024-01-01", "2023-01-01"):
        for sub in ("stocks", "investing"):
            lake.write_bytes(f"raw/reddit/subreddit={sub}/dt={day}/interval=1400.parquet", b"r")
        lake.write_bytes(f"validated/dt={day}/interval=1400.parquet", b"v")
        lake.write_bytes(f"batches/dt={day}/interval=1400/shard=000.parquet", b"b")
    lake.write_bytes("raw/reddit/README.txt", b"keep me")

    results = prune_lake(lake, raw_keep_days=400, derived_keep_days=14, now=NOW)
    assert len(results["raw"].deleted) == 2  # 2023-01-01 for both subreddits
    assert len(results["derived"].deleted) == 4  # validated + batches for 2024-01-01, 2023-01-01
    root = tmp_path / "lake"
    remaining = sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
    assert remaining == [
        "batches/dt=2024-05-30/interval=1400/shard=000.parquet",
        "raw/reddit/README.txt",
        "raw/reddit/subreddit=investing/dt=2024-01-01/interval=1400.parquet",
        "raw/reddit/subreddit=investing/dt=2024-05-30/interval=1400.parquet",
        "raw/reddit/subreddit=stocks/dt=2024-01-01/interval=1400.parquet",
        "raw/reddit/subreddit=stocks/dt=2024-05-30/interval=1400.parquet",
        "validated/dt=2024-05-30/interval=1400.parquet",
    ]
    with pytest.raises(ValueError):
        prune_zones(lake, ["raw"], keep_days=0, now=NOW)
