"""Reddit coverage: one sweep per interval (the DAG alone) against the collector, at real rates.

A realistic timeline replayed through the loopback Reddit server on a fast clock (tests/servers):
2 hours of r/wallstreetbets at 80 comments a minute (a normal evening) with a 10-minute burst of
1,000 a minute (the busiest days of January 2021), about half the comments in one discussion
thread opened hours before, ~63% replies. Texts are the real posts and comments of
../shared/data/wsb_kaggle_schema_sample (when present; generated phrases otherwise).

For each 30-minute interval it prints, for the DAG alone (a sweep of both listings 30 s after the
interval ends) and for the collector (its landing files plus that final sweep, deduplicated by
fullname, as extract builds them):
  - true coverage = posts and comments that reached the raw zone / those in the timeline;
  - recorded coverage = the estimate tickerpulse.coverage records, and the difference;
and the requests a minute each used (mean and the busiest minute).

    .venv/bin/python benchmarks/bench_coverage.py [--minutes 120] [--rate 80] [--burst 1000]
"""

from __future__ import annotations

import argparse
import csv
import itertools
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.servers.reddit_server import RedditServer  # noqa: E402
from tests.servers.reddit_timeline import Burst, TimelineClock, generate  # noqa: E402

from tickerpulse.collector import Collector, landed, landed_walks  # noqa: E402
from tickerpulse.coverage import COMMENTS, POSTS, window_coverage  # noqa: E402
from tickerpulse.lake import Lake  # noqa: E402
from tickerpulse.sources.reddit_praw import PrawRedditSource, RetryPolicy  # noqa: E402

SUB = "wallstreetbets"
REAL_TEXTS = ROOT.parent / "shared/data/wsb_kaggle_schema_sample/reddit_wsb.csv"
START = datetime(2021, 1, 27, 18, 0, tzinfo=UTC)
INTERVAL = 1800.0


def real_texts() -> tuple[list[str], list[str]] | None:
    """(post titles, comment bodies) of the real sample, or None when it is absent."""
    if not REAL_TEXTS.exists():
        return None
    titles, bodies = [], []
    with REAL_TEXTS.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            (bodies if row["title"] == "Comment" else titles).append(
                row["body"] if row["title"] == "Comment" else row["title"]
            )
    return [t for t in titles if t], [b for b in bodies if b]


def timeline(minutes: int, rate: float, burst: float) -> list[dict[str, Any]]:
    lo = START.timestamp()
    burst_at = lo + 45 * 60  # 18:45-18:55: inside the second interval
    records = generate(
        SUB,
        lo - 600,
        lo + minutes * 60 + 60,
        comments_per_minute=rate,
        bursts=(Burst(burst_at, burst_at + 600, burst),),
        seed=2021,
    )
    texts = real_texts()
    if texts:
        titles, bodies = itertools.cycle(texts[0]), itertools.cycle(texts[1])
        for rec in records:
            if rec["name"].startswith("t1_"):
                rec["body"] = next(bodies)
            elif rec["title"] != "Daily Discussion Thread":
                rec["title"] = next(titles)
    return records


def source(server: RedditServer, clock: TimelineClock, stamps: list[float]) -> PrawRedditSource:
    src = PrawRedditSource(
        client_id=server.client_id,
        client_secret=server.client_secret,
        user_agent="tickerpulse-bench/0.1",
        oauth_url=server.url,
        reddit_url=server.url,
        clock=clock,
        retry=RetryPolicy(attempts=3, backoff_seconds=0.01),
    )
    record: Callable[[bool], object] = lambda retry: stamps.append(clock())  # noqa: E731
    src.requestor.before_request = record
    return src


def per_minute(stamps: list[float], minutes: float) -> tuple[float, int]:
    if not stamps:
        return 0.0, 0
    busiest = max(sum(1 for t in stamps if s <= t < s + 60) for s in stamps)
    return len(stamps) / minutes, busiest


def measure(
    records: list[dict[str, Any]], intervals: int, collect: bool, lake: Lake
) -> tuple[list[dict[str, float]], tuple[float, int]]:
    lo0 = START.timestamp()
    clock = TimelineClock(lo0 - 120, speed=0)
    stamps: list[float] = []
    rows = []
    with RedditServer(records, clock=clock) as server:
        src = source(server, clock, stamps)
        collector = Collector(src, lake, [SUB], clock=clock, sleep=clock.advance)
        for i in range(intervals):
            lo, hi = lo0 + i * INTERVAL, lo0 + (i + 1) * INTERVAL
            if collect:
                collector.run(until=hi + 30)
            clock.set(hi + 30)  # the DAG's run starts 30 s after the interval
            start, end = datetime.fromtimestamp(lo, UTC), datetime.fromtimestamp(hi, UTC)
            sweep = src.sweep(SUB, start, end, 1000)
            by_name = {}
            walks = list(sweep.walks)
            if collect:
                docs = sorted(landed(lake, SUB, lo, hi), key=lambda d: float(d["covered_to"]))
                for doc in docs:
                    for rec in doc["records"]:
                        if lo <= float(rec["created_utc"]) < hi:
                            by_name[rec["name"]] = rec
                walks += landed_walks(docs)
            for rec in sweep.records:
                by_name[rec["name"]] = rec
            truth = {r["name"] for r in records if lo <= float(r["created_utc"]) < hi}
            got = set(by_name) & truth
            observed = {
                POSTS: sum(1 for n in got if n.startswith("t3_")),
                COMMENTS: sum(1 for n in got if n.startswith("t1_")),
            }
            cov = window_coverage(lo, hi, walks, observed)
            rows.append(
                {
                    "interval": lo,
                    "items": len(truth),
                    "true": len(got) / len(truth),
                    "recorded": cov.ratio,
                    "complete": float(cov.complete),
                    "extra": len(set(by_name) - truth),
                }
            )
    minutes = (lo0 + intervals * INTERVAL + 30 - (lo0 - 120)) / 60
    return rows, per_minute(stamps, minutes)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=int, default=120)
    parser.add_argument("--rate", type=float, default=80.0)
    parser.add_argument("--burst", type=float, default=1000.0)
    args = parser.parse_args(argv)
    records = timeline(args.minutes, args.rate, args.burst)
    intervals = args.minutes // 30
    print(
        f"timeline: {len(records)} items over {args.minutes} min, {args.rate:.0f} comments/min "
        f"with a 10-min burst of {args.burst:.0f}/min at 18:45 UTC; texts: "
        f"{'real (wsb_kaggle_schema_sample)' if real_texts() else 'generated'}"
    )
    results = {}
    for name, collect in (("DAG alone", False), ("collector", True)):
        with tempfile.TemporaryDirectory(prefix="bench-coverage-") as tmp:
            results[name] = measure(records, intervals, collect, Lake(Path(tmp).as_uri()))
    print()
    print(
        f"{'interval':<8} {'items':>6}  {'DAG true':>8} {'recorded':>8} {'diff pt':>7}"
        f"  {'coll true':>9} {'recorded':>8} {'dupes':>5}"
    )
    dag_rows, coll_rows = results["DAG alone"][0], results["collector"][0]
    for d, c in zip(dag_rows, coll_rows, strict=True):
        at = datetime.fromtimestamp(d["interval"], UTC)
        print(
            f"{at:%H:%M}    {d['items']:>6}  {100 * d['true']:>7.2f}% {100 * d['recorded']:>7.2f}%"
            f" {100 * (d['recorded'] - d['true']):>+7.2f}  {100 * c['true']:>8.2f}%"
            f" {100 * c['recorded']:>7.2f}% {c['extra']:>5}"
        )
    total = sum(d["items"] for d in dag_rows)
    for name, (rows, (mean, busiest)) in results.items():
        seen = sum(r["true"] * r["items"] for r in rows)
        print(
            f"{name:<10}: {100 * seen / total:.2f}% of {total} items reached the raw zone; "
            f"{mean:.1f} requests/min on average, {busiest} in the busiest minute"
        )
    dag_total = sum(r["true"] * r["items"] for r in dag_rows)
    coll_total = sum(r["true"] * r["items"] for r in coll_rows)
    print(f"collector / DAG alone: {coll_total / dag_total:.2f}x the items")
    return 0


if __name__ == "__main__":
    sys.exit(main())
