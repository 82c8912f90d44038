"""The held-out history run, on the real data we have: r/wallstreetbets comments of Jan 16 -
Feb 7, 2021 (Pushshift, ../shared/data/wsb_pushshift_esbenkc/wsb_io.csv) and the daily Yahoo
prices of the period (../shared/data/stock_prices_daily), with nothing edited by hand and only
environment variables set:

1. the comments are written as the Pushshift comment dump they came from (one JSON object per
   line), compressed with zstd's long window, and imported with `tickerpulse import`;
2. every interval that holds comments, and the last interval of each of those days (whose run
   fetches the day's closed daily bar and rebuilds the day's rollup), is backfilled through the
   real `reddit_sentiment` DAG (`dag.test()`, the path of `airflow dags test`), with
   TICKERPULSE_START_DATE, TICKERPULSE_SUBREDDITS and a replay folder that holds the daily
   prices and no posts;
3. it checks, reading the warehouse: every comment is loaded, quarantined or dropped (the counts
   add up per interval); HOOD, which first traded on 2021-07-29, is never counted (its mentions
   are dropped as not_yet_trading, with the count); the daily rollups of GME, AMC, BB, NOK and
   PLTR carry the day's price change from daily bars, equal to the close-to-close change in the
   price files, and no 30-minute rollup shows a close before it happened.

    .venv/bin/python benchmarks/history_check.py [DSN] [--intervals N]

Without a DSN it starts an embedded PostgreSQL in a temporary folder. The comments of each day
sit in one or two 30-minute intervals (as collected), so "every interval of the day" here means
every interval with comments; the r/robinhood files the issue was written with are not available.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the dev tooling (tools/) is not installed with the package
SHARED = ROOT.parent / "shared" / "data"
CHECK_TICKERS = ("GME", "AMC", "BB", "NOK", "PLTR")


def comments_as_pushshift(csv_path: Path, out: Path) -> int:
    """wsb_io.csv back into Pushshift's comment records (its `title` column is the body)."""
    import zstandard

    lines = []
    with csv_path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            thread = row["permalink"].split("/comments/", 1)[1].split("/", 1)[0]
            record = {
                "id": row["id"],
                "subreddit": row["subreddit"],
                "author": row["author"],
                "body": row["title"],
                "created_utc": int(float(row["created_utc"])),
                "retrieved_on": int(float(row["retrieved_on"])),
                "score": int(float(row["score"] or 0)),
                "is_submitter": row["is_submitter"] == "TRUE",
                "permalink": row["permalink"],
                "link_id": f"t3_{thread}",
                "parent_id": f"t3_{thread}",
            }
            lines.append(json.dumps(record, ensure_ascii=False))
    params = zstandard.ZstdCompressionParameters.from_level(3, window_log=31, enable_ldm=True)
    with out.open("wb") as handle:
        with zstandard.ZstdCompressor(compression_params=params).stream_writer(handle) as writer:
            writer.write(("\n".join(lines) + "\n").encode("utf-8"))
    return len(lines)


def _prepare_environment(work: Path, dsn: str | None) -> str:
    """Airflow home, lake, replay folder and warehouse for this run, set before Airflow loads."""
    os.environ["AIRFLOW_HOME"] = str(work / "airflow")
    os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
    os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(ROOT / "dags")
    os.environ["AIRFLOW__CORE__PARALLELISM"] = "4"
    os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{work}/airflow/airflow.db"
    os.environ["AIRFLOW__LOGGING__LOGGING_LEVEL"] = "WARNING"
    if dsn is None:
        from tickerpulse.warehouse.embedded import embedded_dsn

        dsn = embedded_dsn(work / "pgdata")
    os.environ.update(
        {
            "DATABASE_URL": dsn,
            "TICKERPULSE_HOME": str(work / "home"),
            "TICKERPULSE_LAKE_URL": (work / "lake").as_uri(),
            "TICKERPULSE_REDDIT_SOURCE": "replay",
            "TICKERPULSE_PRICE_SOURCE": "replay",
            "TICKERPULSE_REPLAY_DIR": str(work / "replay"),
            "TICKERPULSE_SCORER": "offline",
            "TICKERPULSE_SUBREDDITS": "wallstreetbets",
            "TICKERPULSE_START_DATE": "2021-01-16T00:00:00+00:00",
        }
    )
    (work / "airflow").mkdir(parents=True, exist_ok=True)
    return dsn


def _rows(dsn: str, statement: str, params: dict[str, Any] | None = None) -> list[Any]:
    import psycopg2

    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(statement, params or {})
        return cur.fetchall()


def _file_change(work: Path, ticker: str, day: date) -> float | None:
    """% change of the last close on or before `day` over the last close before it, from the
    price files the replay reads: what the day's rollup should show once the day is over (0 on a
    weekend, when no session closed)."""
    with (work / "replay" / "prices_daily" / f"{ticker}.csv").open(newline="") as handle:
        closes = [(r["Date"], float(r["Close"])) for r in csv.DictReader(handle)]
    before = [c for d, c in closes if d < day.isoformat()]
    upto = [c for d, c in closes if d <= day.isoformat()]
    if not before:
        return None
    return round(100 * (upto[-1] - before[-1]) / before[-1], 2)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dsn", nargs="?", help="warehouse DSN (default: embedded PostgreSQL)")
    parser.add_argument("--intervals", type=int, help="backfill only the first N intervals")
    args = parser.parse_args(argv[1:])
    comments = SHARED / "wsb_pushshift_esbenkc" / "wsb_io.csv"
    prices = SHARED / "stock_prices_daily"
    if not comments.exists() or not prices.exists():
        print(f"shared data not present under {SHARED}")
        return 1
    work = Path(tempfile.mkdtemp(prefix="tp-history-"))
    dsn = _prepare_environment(work, args.dsn)

    from tools.real_data import build_daily_price_files

    from tickerpulse.cli import main as cli

    build_daily_price_files(prices, work / "replay")
    dump = work / "RC_2021-01_wallstreetbets.zst"
    count = comments_as_pushshift(comments, dump)
    print(f"{count} real comments written as a Pushshift dump: {dump} ({dump.stat().st_size:,} B)")
    began = time.monotonic()
    if cli(["import", "--no-progress", str(dump)]) != 0:
        return 1
    print(f"import took {time.monotonic() - began:.1f} s\n")

    from airflow.dag_processing.dagbag import DagBag
    from airflow.utils.db import resetdb

    from tickerpulse.demo import ensure_llm_pool
    from tickerpulse.intervals import INTERVAL, floor_to_interval

    resetdb(skip_init=False)
    ensure_llm_pool()
    with comments.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    unique = len({r["id"] for r in rows})
    with_comments = {
        floor_to_interval(datetime.fromtimestamp(int(float(r["created_utc"])), UTC)) for r in rows
    }
    day_ends = {
        datetime(s.year, s.month, s.day, tzinfo=UTC) + timedelta(hours=23, minutes=30)
        for s in with_comments
    }
    starts = sorted(with_comments | day_ends)
    if args.intervals:
        starts = starts[: args.intervals]
    dag = DagBag(dag_folder=str(ROOT / "dags"), safe_mode=False).get_dag("reddit_sentiment")
    assert dag is not None
    failed = 0
    for start in starts:
        began = time.monotonic()
        run = dag.test(logical_date=start + INTERVAL)
        state = str(getattr(run.state, "value", run.state))
        failed += state != "success"
        print(f"run {start:%Y-%m-%d %H:%M} UTC: {state} in {time.monotonic() - began:.1f} s")

    runs = _rows(
        dsn,
        "SELECT interval_start, extracted, loaded, quarantined, duplicates, bots,"
        " mentions_dropped_by_reason FROM tickerpulse.pipeline_runs ORDER BY 1",
    )
    print("\ninterval           extracted loaded quarantined duplicates bots  mentions dropped")
    for start, extracted, loaded, quarantined, duplicates, bots, dropped in runs:
        print(
            f"{start:%Y-%m-%d %H:%M}   {extracted:9} {loaded:6} {quarantined:11} {duplicates:10}"
            f" {bots:4}  {json.dumps(dropped)}"
        )
    hood = _rows(dsn, "SELECT count(*) FROM tickerpulse.post_sentiment WHERE ticker = 'HOOD'")[0][0]
    hood_dropped = _rows(
        dsn,
        "SELECT reason, count(*) FROM tickerpulse.dropped_mentions WHERE ticker = 'HOOD'"
        " GROUP BY 1",
    )
    daily = _rows(
        dsn,
        "SELECT ticker, day_start::date, mentions, price_close, price_change_pct, price_bar_size"
        " FROM tickerpulse.sentiment_1d WHERE ticker = ANY(%(t)s) ORDER BY 1, 2",
        {"t": list(CHECK_TICKERS)},
    )
    print("\ndaily rollups: ticker day mentions close change% bar size")
    for ticker, day, mentions, close, change, size in daily:
        print(f"  {ticker:5} {day} {mentions:4} {close!s:>10} {change!s:>9} {size}")
    look_ahead = _rows(
        dsn,
        "SELECT count(*) FROM tickerpulse.sentiment_30m s WHERE s.price_close IS NOT NULL"
        " AND s.price_close IS DISTINCT FROM (SELECT close FROM tickerpulse.prices p"
        "   WHERE p.ticker = s.ticker AND p.bar_end <= s.bucket_start + interval '30 minutes'"
        "   ORDER BY p.bar_end DESC LIMIT 1)",
    )[0][0]

    checks = {
        "every interval with comments ran and succeeded": failed == 0 and len(runs) == len(starts),
        "extracted = loaded + quarantined + duplicates + bots in every interval": all(
            r[1] == r[2] + r[3] + r[4] + r[5] for r in runs
        ),
        "every comment entered a run (once: the dump repeats 100)": sum(r[1] for r in runs)
        == unique
        or bool(args.intervals),
        "HOOD is never counted before 2021-07-29": hood == 0,
        "HOOD mentions are dropped with a reason": dict(hood_dropped).get("not_yet_trading", 0) > 0,
        "GME/AMC/BB/NOK/PLTR daily rollups carry the daily-bar price change of the files": {
            t
            for t, day, _m, _c, change, size in daily
            if size == "1d" and change and _file_change(work, t, day) == round(change, 2)
        }
        == set(CHECK_TICKERS)
        or bool(args.intervals),
        "every daily rollup price change is the files' close-to-close change": all(
            change is None or _file_change(work, t, day) == round(change, 2)
            for t, day, _m, _c, change, _s in daily
        ),
        "no 30-minute rollup shows a close that had not happened": look_ahead == 0,
    }
    print()
    for name, ok in checks.items():
        print(f"{'ok  ' if ok else 'FAIL'} {name}")
    print(
        f"\nwork folder: {work} (HOOD dropped: {dict(hood_dropped)}; first day {date(2021, 1, 16)})"
    )
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
