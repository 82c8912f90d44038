"""`make demo`: real DAG runs of `reddit_sentiment` over consecutive intervals of the sample.

Each interval is one `dag.test()` run — the same code path as `airflow dags test` — in one process,
so Airflow and Great Expectations are imported once instead of once per interval. At the end the
summary is read back from the warehouse.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime

from tickerpulse.config import PROJECT_ROOT, BeforeStartDate, SettingsError, load_settings
from tickerpulse.intervals import INTERVAL
from tickerpulse.report import write_report
from tickerpulse.summary import build_summary
from tickerpulse.warehouse.migrate import migrate

DEMO_START = datetime(2024, 3, 5, 13, 0, tzinfo=UTC)  # a Tuesday of the sample: 13:00-21:00 UTC


def ensure_llm_pool(slots: int = 4) -> None:
    """The `score` task runs in the `llm` pool, which caps concurrent LLM calls."""
    from airflow.models.pool import Pool

    Pool.create_or_update_pool(
        name="llm",
        slots=slots,
        description="concurrent LLM scoring tasks",
        include_deferred=False,
    )


def run_intervals(start: datetime, count: int) -> list[str]:
    from airflow.dag_processing.dagbag import DagBag

    dagbag = DagBag(dag_folder=str(PROJECT_ROOT / "dags"), safe_mode=False)
    if dagbag.import_errors:
        raise SystemExit(f"DAG import errors: {dagbag.import_errors}")
    dag = dagbag.get_dag("reddit_sentiment")
    assert dag is not None
    states = []
    for i in range(count):
        window = start + i * INTERVAL
        began = time.monotonic()
        # A manual run's data interval is the last complete window before its logical date, as
        # with `airflow dags test reddit_sentiment <date>`: pass the window's end.
        dag_run = dag.test(logical_date=window + INTERVAL)
        state = str(getattr(dag_run.state, "value", dag_run.state))
        print(
            f"run {window:%Y-%m-%d %H:%M}–{window + INTERVAL:%H:%M} UTC: {state}"
            f" in {time.monotonic() - began:.1f} s",
            flush=True,
        )
        states.append(state)
    return states


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tickerpulse-demo", description=__doc__)
    parser.add_argument("--start", default=DEMO_START.isoformat())
    parser.add_argument("--intervals", type=int, default=16)
    args = parser.parse_args(argv)
    start = datetime.fromisoformat(args.start).astimezone(UTC)
    try:
        settings = load_settings()
        # Each run would fail its first task for this reason: say so once, before starting any.
        first = f"--start {start:%Y-%m-%dT%H:%M}Z: the interval {start:%Y-%m-%d %H:%M} UTC"
        settings.check_start_date(start, start + INTERVAL, first)
    except (BeforeStartDate, SettingsError) as exc:
        print(f"tickerpulse-demo: error: {exc}", file=sys.stderr)
        return 2
    print(f"warehouse migrations: {migrate(settings) or 'up to date'}")
    ensure_llm_pool()
    states = run_intervals(start, args.intervals)
    end = start + args.intervals * INTERVAL
    print()
    print(build_summary(settings, start, end))
    print()
    print(f"lake: {settings.lake_url}")
    charts = write_report(settings, start, end, settings.home / "report", top=5)
    print("charts of sentiment against price (PNG):")
    for chart in charts:
        print(f"  {chart}")
    failed = [s for s in states if s != "success"]
    if failed:
        print(f"{len(failed)} of {len(states)} runs did not succeed", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
