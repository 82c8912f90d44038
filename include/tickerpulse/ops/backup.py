"""Warehouse backups: `pg_dump` to the object store, retention, and the matching restore.

A dump is pg_dump's custom format (`-Fc`: compressed, restorable table by table, in parallel with
`pg_restore -j`). It is written to `<lake>/backups/warehouse/warehouse-YYYYmmddTHHMMSSZ.dump`, one
flat folder so retention is a single listing. pg_dump must be at least the server's major version
and pg_restore at least the dump's, so the tools are picked by asking the server its version.

Restore (documented in docs/OPERATIONS.md; `restore_command` prints it for a given dump):

    PGPASSWORD=… pg_restore --no-owner --exit-on-error --no-password --jobs=2 \
        --dbname "host=HOST port=5432 user=tickerpulse_loader dbname=NEW_DB" warehouse-….dump

into an empty database. The password travels in PGPASSWORD, never on the command line.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg2.extensions

from tickerpulse.config import executable_dirs, load_settings, process_environment
from tickerpulse.lake import LOCAL_PROTOCOLS, Lake
from tickerpulse.warehouse.db import connect
from tickerpulse.warehouse.queries import query

log = logging.getLogger(__name__)

BACKUP_PREFIX = "backups/warehouse"
_NAME = re.compile(r"^warehouse-(\d{8}T\d{6}Z)\.dump$")
_VERSION = re.compile(r"\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?")


@dataclass(frozen=True)
class Backup:
    url: str
    taken_at: datetime
    size_bytes: int
    sha256: str
    server_version: str
    pg_dump_version: str


def backup_name(taken_at: datetime) -> str:
    return f"warehouse-{taken_at.astimezone(UTC):%Y%m%dT%H%M%SZ}.dump"


def parse_backup_time(name: str) -> datetime | None:
    match = _NAME.match(name)
    if not match:
        return None
    return datetime.strptime(match.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)


# --- finding pg_dump / pg_restore for the server's version ---------------------------------------


def tool_major(path: str) -> int | None:
    """The major version a pg_dump/pg_restore binary reports, or None if it does not run."""
    try:
        out = subprocess.run(
            [path, "--version"], capture_output=True, text=True, timeout=30, check=True
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    match = _VERSION.search(out)
    return int(match.group(1)) if match else None


def candidate_bin_dirs() -> list[Path]:
    """Where PostgreSQL client tools may be: an override, Debian's layout, pgserver's, PATH."""
    dirs: list[Path] = []
    pg_bin = load_settings().pg_bin
    if pg_bin is not None:
        dirs.append(pg_bin)
    dirs.extend(sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True))
    try:
        import pgserver

        dirs.append(Path(pgserver.__file__).parent / "pginstall" / "bin")
    except ImportError:
        pass
    dirs.extend(executable_dirs())
    return dirs


def find_pg_tool(name: str, server_major: int, dirs: Iterable[Path] | None = None) -> str:
    """The `name` binary whose major version equals the server's, else the lowest newer one.

    An older pg_dump refuses a newer server ("server version mismatch"); a much newer one works
    but writes a dump that older pg_restore builds cannot read, hence "equal first".
    """
    found: dict[int, str] = {}
    seen: set[str] = set()
    for folder in dirs if dirs is not None else candidate_bin_dirs():
        path = folder / name
        real = str(path.resolve()) if path.exists() else ""
        if not real or real in seen or not os.access(real, os.X_OK):
            continue
        seen.add(real)
        major = tool_major(str(path))
        if major is not None and major >= server_major:
            found.setdefault(major, str(path))
    if not found:
        raise FileNotFoundError(
            f"no {name} of PostgreSQL {server_major} or newer found; set TICKERPULSE_PG_BIN to the"
            " folder of a matching client install"
        )
    return found[min(found)]


def server_version(dsn: str) -> tuple[int, str]:
    """(major, full version string) of the server behind `dsn`."""
    with connect(dsn) as conn, conn.cursor() as cur:
        cur.execute("SHOW server_version_num")
        num = int(cur.fetchone()[0])
        cur.execute("SHOW server_version")
        full = str(cur.fetchone()[0])
    return num // 10000, full


def libpq_args(dsn: str) -> tuple[str, dict[str, str]]:
    """(conninfo without the password, environment carrying it) for a libpq command line tool."""
    params = psycopg2.extensions.parse_dsn(dsn)
    password = params.pop("password", None)
    env = process_environment(PGPASSWORD=password) if password else process_environment()
    # psycopg's own conninfo writer: it quotes and escapes a value only when it has to
    conninfo = psycopg2.extensions.make_dsn(**{k: str(v) for k, v in params.items()})
    return conninfo, env


# --- dump, upload, restore -----------------------------------------------------------------------


def dump_to_file(dsn: str, target: Path, pg_dump: str | None = None) -> tuple[str, str]:
    """pg_dump -Fc of the whole database into `target`; (server version, pg_dump version)."""
    major, full = server_version(dsn)
    tool = pg_dump or find_pg_tool("pg_dump", major)
    conninfo, env = libpq_args(dsn)
    subprocess.run(
        [tool, "--format=custom", "--no-password", "--file", str(target), "--dbname", conninfo],
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=6 * 3600,
    )
    version = subprocess.run(
        [tool, "--version"], capture_output=True, text=True, check=True, timeout=30
    ).stdout.strip()
    return full, version


def upload_file(lake: Lake, rel: str, local: Path) -> str:
    """Copy a local file into the lake without ever exposing half of it."""
    target = lake.path(rel)
    if target.protocol in LOCAL_PROTOCOLS:
        dest = Path(target.path)
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f".{dest.name}.tmp")
        shutil.copyfile(local, tmp)
        os.replace(tmp, dest)
    else:  # a multipart upload is completed only when the stream closes
        with local.open("rb") as src, target.open("wb") as dst:
            shutil.copyfileobj(src, dst, length=8 * 1024 * 1024)
    return lake.url(rel)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def backup_warehouse(dsn: str, lake: Lake, now: datetime | None = None) -> Backup:
    """Dump the warehouse to the lake and record it in tickerpulse.backups."""
    taken_at = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    rel = f"{BACKUP_PREFIX}/{backup_name(taken_at)}"
    with tempfile.TemporaryDirectory(prefix="tickerpulse-backup-") as tmp:
        local = Path(tmp) / "warehouse.dump"
        server, tool_version = dump_to_file(dsn, local)
        backup = Backup(
            url=upload_file(lake, rel, local),
            taken_at=taken_at,
            size_bytes=local.stat().st_size,
            sha256=sha256_file(local),
            server_version=server,
            pg_dump_version=tool_version,
        )
    with connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(
            query("ops_insert_backup"),
            {
                "object_url": backup.url,
                "taken_at": backup.taken_at,
                "size_bytes": backup.size_bytes,
                "sha256": backup.sha256,
                "server_version": backup.server_version,
                "pg_dump_version": backup.pg_dump_version,
            },
        )
    log.info("backup %s: %d bytes, sha256 %s", backup.url, backup.size_bytes, backup.sha256)
    return backup


def restore_args(dump: Path, target_dsn: str, pg_restore: str, jobs: int = 2) -> list[str]:
    conninfo, _ = libpq_args(target_dsn)
    return [
        pg_restore,
        "--no-owner",
        "--exit-on-error",
        "--no-password",
        f"--jobs={jobs}",
        "--dbname",
        conninfo,
        str(dump),
    ]


def restore_command(dump: Path, target_dsn: str, pg_restore: str = "pg_restore") -> str:
    """The shell command that restores `dump` into the empty database `target_dsn`."""
    return shlex.join(restore_args(dump, target_dsn, pg_restore))


def restore_file(dump: Path, target_dsn: str, pg_restore: str | None = None) -> None:
    """Restore a dump into an empty database (created beforehand, owned by the restoring role)."""
    major, _ = server_version(target_dsn)
    tool = pg_restore or find_pg_tool("pg_restore", major)
    _, env = libpq_args(target_dsn)
    subprocess.run(
        restore_args(dump, target_dsn, tool),
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=6 * 3600,
    )


def download_backup(lake: Lake, url: str, local: Path) -> Path:
    with lake.path(url).open("rb") as src, local.open("wb") as dst:
        shutil.copyfileobj(src, dst, length=8 * 1024 * 1024)
    return local


# --- retention ----------------------------------------------------------------------------------


def backups_to_delete(
    names: Sequence[str], now: datetime, keep_days: int, keep_min: int
) -> list[str]:
    """Dumps older than `keep_days`, never touching the newest `keep_min` (nor unknown files)."""
    dated = sorted(
        ((when, name) for name in names if (when := parse_backup_time(name)) is not None),
        reverse=True,
    )
    cutoff = now - timedelta(days=keep_days)
    return [name for i, (when, name) in enumerate(dated) if i >= keep_min and when < cutoff]


def prune_backups(
    lake: Lake,
    now: datetime | None = None,
    keep_days: int = 14,
    keep_min: int = 3,
    dsn: str | None = None,
) -> list[str]:
    """Delete expired dumps from the lake (and mark them in tickerpulse.backups); their URLs."""
    now = now or datetime.now(UTC)
    urls = lake.list(BACKUP_PREFIX)
    by_name = {url.rsplit("/", 1)[-1]: url for url in urls}
    doomed = [by_name[n] for n in backups_to_delete(list(by_name), now, keep_days, keep_min)]
    for url in doomed:
        lake.path(url).unlink()
        log.info("backup retention: deleted %s", url)
    if dsn and doomed:
        with connect(dsn) as conn, conn.cursor() as cur:
            for url in doomed:
                cur.execute(query("ops_mark_backup_deleted"), {"object_url": url})
    return doomed


def table_row_counts(dsn: str) -> dict[str, int]:
    """{schema.table: rows} for every base table: what a restore must reproduce."""
    from psycopg2 import sql

    counts: dict[str, int] = {}
    with connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(query("ops_list_all_tables"))
        for schema, table in cur.fetchall():
            cur.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(schema, table)))
            counts[f"{schema}.{table}"] = int(cur.fetchone()[0])
    return counts
