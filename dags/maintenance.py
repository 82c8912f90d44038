"""
### tickerpulse_maintenance — daily backup, retention and symbols refresh

Runs once a day at 03:15 UTC, when the 30-minute pipeline is quiet on a US-market clock.

| task | calls | effect |
|---|---|---|
| `backup_warehouse` | `tickerpulse.ops.backup.backup_warehouse` | `pg_dump -Fc` of the warehouse to `<lake>/backups/warehouse/warehouse-<UTC time>.dump`, a row in `tickerpulse.backups` |
| `prune_backups` | `tickerpulse.ops.backup.prune_backups` | deletes dumps older than `TICKERPULSE_BACKUP_KEEP_DAYS` (14), always keeping the newest `TICKERPULSE_BACKUP_KEEP_MIN` (3) |
| `prune_lake` | `tickerpulse.ops.retention.prune_lake` | deletes `dt=…` partitions of the raw zone older than `TICKERPULSE_RAW_KEEP_DAYS` (400) and of the derived zones older than `TICKERPULSE_DERIVED_KEEP_DAYS` (14) |
| `refresh_symbols` | `tickerpulse.symbols_directory.refresh_symbols` | reloads `tickerpulse.symbols` from the Nasdaq Trader symbol directory |

Restore a dump: see docs/OPERATIONS.md ("Backups and restore"). Retention of backups runs only
after a new backup succeeded, so a broken dump job never leaves you with fewer good dumps.
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

from airflow.sdk import dag, task
from airflow.timetables.trigger import CronTriggerTimetable

from tickerpulse.config import load_settings
from tickerpulse.dag_defaults import default_args

NASDAQ_LISTED_URL = "https://www.nasdaqtrader.com/dynamic/SymDir/nasdaqlisted.txt"
OTHER_LISTED_URL = "https://www.nasdaqtrader.com/dynamic/SymDir/otherlisted.txt"


DEFAULT_ARGS = default_args(retries=2, retry_delay=timedelta(minutes=5))


def _int_env(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


@dag(
    dag_id="tickerpulse_maintenance",
    schedule=CronTriggerTimetable("15 3 * * *", timezone="UTC"),
    start_date=load_settings().start_date,  # TICKERPULSE_START_DATE
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["tickerpulse", "maintenance"],
    doc_md=__doc__,
)
def tickerpulse_maintenance() -> None:
    @task
    def backup_warehouse() -> dict[str, Any]:
        from tickerpulse.config import load_settings
        from tickerpulse.lake import Lake
        from tickerpulse.ops.backup import backup_warehouse as backup
        from tickerpulse.warehouse.db import resolve_dsn

        settings = load_settings()
        done = backup(resolve_dsn(settings), Lake(settings.lake_url))
        return {"url": done.url, "size_bytes": done.size_bytes, "sha256": done.sha256}

    @task
    def prune_backups(backup_out: Any) -> dict[str, Any]:  # XComArg at wiring time
        from tickerpulse.config import load_settings
        from tickerpulse.lake import Lake
        from tickerpulse.ops.backup import prune_backups as prune
        from tickerpulse.warehouse.db import resolve_dsn

        settings = load_settings()
        deleted = prune(
            Lake(settings.lake_url),
            keep_days=_int_env("TICKERPULSE_BACKUP_KEEP_DAYS", 14),
            keep_min=_int_env("TICKERPULSE_BACKUP_KEEP_MIN", 3),
            dsn=resolve_dsn(settings),
        )
        return {"deleted": len(deleted), "newest": backup_out["url"]}

    @task
    def prune_lake() -> dict[str, Any]:
        from tickerpulse.config import load_settings
        from tickerpulse.lake import Lake
        from tickerpulse.ops.retention import prune_lake as prune

        results = prune(
            Lake(load_settings().lake_url),
            raw_keep_days=_int_env("TICKERPULSE_RAW_KEEP_DAYS", 400),
            derived_keep_days=_int_env("TICKERPULSE_DERIVED_KEEP_DAYS", 14),
        )
        return {f"{zone}.deleted": len(r.deleted) for zone, r in results.items()} | {
            f"{zone}.kept": r.kept for zone, r in results.items()
        }

    @task
    def refresh_symbols() -> Any:
        from tickerpulse.config import load_settings
        from tickerpulse.symbols_directory import refresh_symbols as refresh

        return refresh(
            load_settings(),
            nasdaq_url=os.environ.get("TICKERPULSE_NASDAQ_LISTED_URL") or NASDAQ_LISTED_URL,
            other_url=os.environ.get("TICKERPULSE_OTHER_LISTED_URL") or OTHER_LISTED_URL,
        )

    prune_backups(backup_warehouse())
    prune_lake()
    refresh_symbols()


tickerpulse_maintenance()
