"""Apply the numbered migrations in sql/ (NNN_name.sql) once each, all pending in one transaction.

Safe to run from many places at once (the demo, every load task, the compose init job): an
advisory lock serialises runners, and each file is itself written to be re-runnable.
"""

from __future__ import annotations

import hashlib
import re
import sys

from tickerpulse.config import load_settings
from tickerpulse.warehouse.db import connect, resolve_dsn
from tickerpulse.warehouse.queries import sql_dir

_MIGRATION = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")
_LOCK_KEY = 7_203_114  # any constant shared by all runners


def migration_files() -> list[tuple[str, str, str]]:
    """(version, file name, text) in order."""
    found = []
    for path in sorted(sql_dir().iterdir()):
        match = _MIGRATION.match(path.name)
        if match:
            found.append((match.group(1), path.name, path.read_text(encoding="utf-8")))
    return found


_checked: set[str] = set()  # warehouses this process has already brought up to date


def migrate(dsn_or_settings: object = None) -> list[str]:
    """Apply pending migrations; return the names applied now.

    Every stage that writes calls this, so each task is self-sufficient; within one process
    (the demo, `dag.test`, a warm worker) a warehouse is checked once, not once per stage.
    """
    target = dsn_or_settings if dsn_or_settings is not None else load_settings()
    dsn = target if isinstance(target, str) else resolve_dsn(target)  # type: ignore[arg-type]
    if dsn in _checked:
        return []
    applied_now: list[str] = []
    with connect(dsn) as conn:
        with conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
            cur.execute(
                "CREATE TABLE IF NOT EXISTS public.tickerpulse_migrations ("
                " version text PRIMARY KEY, name text NOT NULL, sha256 text NOT NULL,"
                " applied_at timestamptz NOT NULL DEFAULT now())"
            )
            cur.execute("SELECT version FROM public.tickerpulse_migrations")
            done = {row[0] for row in cur.fetchall()}
            for version, name, text in migration_files():
                if version in done:
                    continue
                cur.execute(text)
                cur.execute(
                    "INSERT INTO public.tickerpulse_migrations (version, name, sha256)"
                    " VALUES (%s, %s, %s)",
                    (version, name, hashlib.sha256(text.encode()).hexdigest()),
                )
                applied_now.append(name)
    _checked.add(dsn)
    return applied_now


def main() -> int:
    names = migrate()
    print("applied: " + (", ".join(names) if names else "nothing (up to date)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
