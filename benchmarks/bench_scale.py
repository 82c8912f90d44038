"""One hot 30-minute interval through the real `reddit_sentiment` DAG: time, memory, XCom.

For each size (posts in the interval; default 10,000 50,000 208,000 — 208,000 is 10M a day) a
fresh child process:

1. builds replay data of realistic content: random combinations of 1–3 real sentences from the
   Financial PhraseBank and the r/wallstreetbets files in ../shared/data (skipped, with the reason,
   when absent), synthetic ids and authors, a few hot tickers (GME, AMC, TSLA) with hundreds of
   mentions, and exact and edited copies as real threads have;
2. seeds a fresh warehouse with the previous 24 hours of dedupe keys at the same rate (size x 48
   posts, bulk SQL into sql/031's tables, not 48 DAG runs);
3. runs ONE interval through the DAG with `dag.test` (every task in this one process, as
   `make demo` runs them) and the offline scorer, and prints per task its wall time, peak RSS and
   posts/s, and the size of every XCom value; then the counts identity from pipeline_runs;
4. times the dedupe lookup of the interval's hashes and keys against the seeded history and
   against an empty one (the ratio must stay under 2);
5. with `--llm` (default: for the smallest size), runs the same interval again with `scorer=llm`
   against the loopback OpenAI server (tests/servers) and prints shards, calls and wall time.

    .venv/bin/python benchmarks/bench_scale.py [SIZE ...] [--llm-sizes N ...]   # make bench-scale
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "include"), str(ROOT)]

SHARED = ROOT.parent / "shared" / "data"
WINDOW_START = datetime(2024, 3, 5, 14, 0, tzinfo=UTC)
HOT = ("GME", "AMC", "TSLA")
STAGES = ("extract", "validate", "filter", "plan", "score", "prices", "load", "aggregate")


# --- data ----------------------------------------------------------------------------------------


def real_sentences() -> list[str]:
    """Real sentences: PhraseBank (label stripped) and r/wallstreetbets comments and posts."""
    out: list[str] = []
    phrasebank = SHARED / "financial_phrasebank" / "Sentences_50Agree.txt"
    wsb_csv = SHARED / "wsb_pushshift_esbenkc" / "wsb_io.csv"
    wsb_ndjson = SHARED / "wsb_pushshift_esbenkc" / "wallstreetbets.ndjson"
    for path in (phrasebank, wsb_csv, wsb_ndjson):
        if not path.exists():
            sys.exit(f"bench_scale: shared data not present: {path} (the benchmark needs it)")
    for line in phrasebank.read_text(encoding="latin-1").splitlines():
        out.append(line.rsplit("@", 1)[0].strip())
    with wsb_csv.open(encoding="utf-8", newline="") as handle:
        out += [r["title"].strip() for r in csv.DictReader(handle) if r["title"].strip()]
    for line in wsb_ndjson.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        for key in ("title", "selftext"):
            text = (record.get(key) or "").strip()
            if text and text not in ("[removed]", "[deleted]"):
                out.append(text[:600])
    return [s for s in out if s]


def build_replay(root: Path, size: int, seed: int = 14) -> None:
    """`size` records in the interval, in the replay layout, with the sample's price files."""
    rnd = random.Random(seed)
    sentences = real_sentences()
    folder = root / "reddit" / "subreddit=wallstreetbets"
    folder.mkdir(parents=True)
    (root / "prices").symlink_to(ROOT / "include" / "tickerpulse" / "data" / "sample" / "prices")
    texts: list[str] = []
    with (folder / f"dt={WINDOW_START:%Y-%m-%d}.jsonl").open("w", encoding="utf-8") as out:
        for i in range(size):
            roll = rnd.random()
            if texts and roll < 0.03:  # an exact copy of an earlier post (spam, cross-posts)
                text = rnd.choice(texts)
            elif texts and roll < 0.05:  # an edited copy
                words = rnd.choice(texts).split()
                words[rnd.randrange(len(words))] = rnd.choice(["tendies", "moon", "hodl"])
                text = " ".join(words)
            else:
                text = " ".join(rnd.sample(sentences, rnd.randint(1, 3)))
                if rnd.random() < 0.04:  # the hot tickers of the day, as cashtags or bare
                    hot = rnd.choice(HOT)
                    text = f"${hot} {text}" if rnd.random() < 0.5 else f"{hot} {text}"
            texts.append(text)
            created = WINDOW_START + timedelta(seconds=1800 * i / size)
            record = {
                "author": f"user_{rnd.randrange(size // 2 + 1)}",
                "author_comment_karma": rnd.randint(50, 50_000),
                "author_created_utc": 1_400_000_000.0 + rnd.randint(0, 200_000_000),
                "author_link_karma": rnd.randint(1, 5_000),
                "body": text,
                "created_utc": created.timestamp(),
                "id": f"s{i:07d}",
                "link_id": "t3_hotthread",
                "name": f"t1_s{i:07d}",
                "parent_id": "t3_hotthread",
                "permalink": f"/r/wallstreetbets/comments/hotthread/x/s{i:07d}/",
                "retrieved_utc": int(created.timestamp()) + 60,
                "score": rnd.choice([0, 1, 1, 2, 3, 5, 8, 40, 250, 1200]),
                "subreddit": "wallstreetbets",
            }
            out.write(json.dumps(record) + "\n")


def seed_history(dsn: str, posts: int, k: int) -> float:
    """24 hours of dedupe keys before the interval at `posts` a day, by bulk SQL; seconds taken."""
    import psycopg2

    from tickerpulse.dedupe_store import _pair_params

    began = time.perf_counter()
    since = WINDOW_START - timedelta(hours=24)
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        # a bulk load: indexes dropped first and built once at the end (by migration 031's text)
        cur.execute(
            "DROP INDEX IF EXISTS tickerpulse.dedupe_hashes_hash_idx,"
            " tickerpulse.dedupe_hashes_created_idx, tickerpulse.dedupe_bands_key_idx,"
            " tickerpulse.dedupe_bands_interval_idx, tickerpulse.dedupe_bands_created_idx"
        )
        cur.execute(
            "INSERT INTO tickerpulse.dedupe_hashes"
            " SELECT %(since)s + make_interval(mins => 30 * (i * 48 / %(n)s)),"
            "        'h' || i, %(since)s + make_interval(secs => i * 86400.0 / %(n)s),"
            "        md5(i::text) || md5((-i)::text), md5(('a' || (i %% 50000))::text)"
            " FROM generate_series(0, %(n)s - 1) i",
            {"since": since, "n": posts},
        )
        cur.execute(
            "INSERT INTO tickerpulse.dedupe_bands"
            " (bands, band_key, interval_start, post_id, created_utc, simhash)"
            " SELECT %(bands)s,"
            "   CASE WHEN k.pair < 0 THEN h.sim ELSE (k.pair::bigint << 48)"
            "     | (((h.sim >> k.lo_i) & ((1::bigint << k.w_i) - 1)) << k.w_j)"
            "     | ((h.sim >> k.lo_j) & ((1::bigint << k.w_j) - 1)) END,"
            "   h.interval_start, h.post_id, h.created_utc, h.sim"
            " FROM (SELECT d.*, ('x' || substr(md5(d.post_id), 1, 16))::bit(64)::bigint AS sim"
            "       FROM tickerpulse.dedupe_hashes d) h"
            " CROSS JOIN unnest(%(pair)s::int[], %(lo_i)s::int[], %(w_i)s::int[],"
            "                   %(lo_j)s::int[], %(w_j)s::int[]) AS k(pair, lo_i, w_i, lo_j, w_j)",
            _pair_params(k),
        )
        cur.execute(
            "INSERT INTO tickerpulse.dedupe_state VALUES (%s, %s)"
            " ON CONFLICT (bands) DO UPDATE SET complete_from = EXCLUDED.complete_from",
            (k, since - timedelta(hours=2)),
        )
        cur.execute("SET maintenance_work_mem = '256MB'")
        cur.execute((ROOT / "sql" / "031_dedupe_keys.sql").read_text(encoding="utf-8"))
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("VACUUM ANALYZE tickerpulse.dedupe_hashes")
            cur.execute("VACUUM ANALYZE tickerpulse.dedupe_bands")
    finally:
        conn.close()
    return time.perf_counter() - began


# --- measuring -----------------------------------------------------------------------------------


def _vm_hwm_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _reset_peak() -> None:
    try:
        Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS
    except OSError:
        pass


class Meter:
    """Wraps every stage's `run`: wall time, peak RSS during it, and the size of what it returns
    (its XCom value)."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []

    def wrap(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def measured(*args: Any, **kwargs: Any) -> Any:
            _reset_peak()
            began = time.perf_counter()
            result = fn(*args, **kwargs)
            seconds = time.perf_counter() - began
            xcom = len(json.dumps(result, default=str).encode())
            self.rows.append({"task": name, "s": seconds, "peak_mb": _vm_hwm_mb(), "xcom": xcom})
            return result

        return measured

    def install(self) -> None:
        import importlib

        for name in STAGES:
            module = importlib.import_module(f"tickerpulse.stages.{name}")
            module.run = self.wrap(name, module.run)  # type: ignore[attr-defined]


def airflow_setup(home: Path) -> Any:
    os.environ["AIRFLOW_HOME"] = str(home)
    os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(ROOT / "dags")
    os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
    os.environ["AIRFLOW__CORE__UNIT_TEST_MODE"] = "True"
    from airflow.models.pool import Pool
    from airflow.utils.db import resetdb

    resetdb(skip_init=False)
    Pool.create_or_update_pool(name="llm", slots=4, description="LLM", include_deferred=False)
    from tests.dag_test_process import load_dag

    return load_dag()


def one_size(size: int, llm: bool) -> None:
    """Everything for one size, in this (fresh) process."""
    import psycopg2
    from tests.conftest import new_database

    from tickerpulse.warehouse.embedded import local_admin_dsn

    admin = local_admin_dsn()
    if admin is None:
        sys.exit("bench_scale: needs the local PostgreSQL (127.0.0.1:5432)")
    work = Path(tempfile.mkdtemp(prefix=f"bench-scale-{size}-"))
    began = time.perf_counter()
    build_replay(work / "replay", size)
    print(
        f"\n=== {size:,} posts in one interval"
        f" (replay built in {time.perf_counter() - began:.1f} s)"
    )
    env = {
        "TICKERPULSE_HOME": str(work / "home"),
        "TICKERPULSE_LAKE_URL": (work / "lake").as_uri(),
        "TICKERPULSE_REPLAY_DIR": str(work / "replay"),
        "TICKERPULSE_REDDIT_SOURCE": "replay",
        "TICKERPULSE_PRICE_SOURCE": "replay",
        "TICKERPULSE_SCORER": "offline",
        "TICKERPULSE_SUBREDDITS": "wallstreetbets",
        "TICKERPULSE_POST_LIMIT": str(max(size, 1)),
    }
    os.environ.update(env)
    dag = airflow_setup(work / "airflow")
    from tickerpulse.config import load_settings
    from tickerpulse.warehouse.migrate import migrate

    with new_database(admin, prefix=f"scale_bench_{uuid.uuid4().hex[:6]}") as dsn:
        os.environ["DATABASE_URL"] = dsn
        settings = load_settings()
        migrate(dsn)
        k = settings.near_duplicate_k
        seeded = seed_history(dsn, size * 48, k)
        print(f"seeded 24 h of dedupe keys: {size * 48:,} posts in {seeded:.1f} s")
        meter = Meter()
        meter.install()
        began = time.perf_counter()
        run = dag.test(logical_date=WINDOW_START + timedelta(minutes=30))
        wall = time.perf_counter() - began
        state = str(getattr(run.state, "value", run.state))
        report(meter.rows, size, wall, state)
        with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
            cur.execute(
                "SELECT extracted, loaded, quarantined, duplicates, bots"
                " FROM tickerpulse.pipeline_runs WHERE interval_start = %s",
                (WINDOW_START,),
            )
            row = cur.fetchone()
        if row:
            e, lo, q, d, b = row
            print(
                f"counts: extracted {e:,} = loaded {lo:,} + quarantined {q:,} + duplicates {d:,}"
                f" + bots {b:,}: {'holds' if e == lo + q + d + b else 'BROKEN'}"
            )
        dedupe_lookup_ratio(dsn, work, k)
        if llm:
            llm_run(dag, size)


def report(rows: list[dict[str, Any]], size: int, wall: float, state: str) -> None:
    print(f"run state: {state}; dag.test wall {wall:.1f} s; process peak RSS "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")  # fmt: skip
    print(
        f"{'task':<10} {'calls':>5} {'wall s':>8} {'peak MB':>8} {'posts/s':>9} {'XCom bytes':>11}"
    )
    by_task: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by_task.setdefault(r["task"], []).append(r)
    total = 0.0
    for name in STAGES:
        got = by_task.get(name, [])
        if not got:
            continue
        seconds = sum(r["s"] for r in got)
        total += seconds
        peak = max(r["peak_mb"] for r in got)
        xcom = max(r["xcom"] for r in got)
        rate = size / seconds if seconds else float("inf")
        print(f"{name:<10} {len(got):>5} {seconds:>8.2f} {peak:>8.0f} {rate:>9.0f} {xcom:>11,}")
    print(
        f"{'stages':<10} {'':>5} {total:>8.2f} {'':>8} {size / total:>9.0f}   (extract → aggregate)"
    )


def dedupe_lookup_ratio(dsn: str, work: Path, k: int) -> None:
    """The filter's history lookup for this interval's posts: seeded 24 h vs an empty history."""
    import psycopg2
    import pyarrow.parquet as pq

    from tickerpulse.dedupe import content_hash, simhash64
    from tickerpulse.dedupe_store import lookup

    files = sorted(f for f in (work / "lake").rglob("*.parquet") if "validated" in f.parts)
    texts = [r or "" for f in files for r in pq.read_table(f, columns=["body"])["body"].to_pylist()]
    began = time.perf_counter()
    hashes = [content_hash(t) for t in texts]
    sims = [simhash64(t) for t in texts]
    fingerprints = time.perf_counter() - began
    rows: dict[str, int] = {}
    timings: dict[str, float] = {}
    cases = (
        ("empty history", WINDOW_START - timedelta(days=30)),
        ("24 h of history", WINDOW_START),
    )
    for _repeat in range(2):  # alternate and keep the best of two: caches warm for both
        for label, at in cases:
            with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
                cur.execute(
                    "INSERT INTO tickerpulse.dedupe_state VALUES (%s, %s) ON CONFLICT (bands)"
                    " DO UPDATE SET complete_from = EXCLUDED.complete_from",
                    (k, at - timedelta(days=2)),
                )
                began = time.perf_counter()
                history = lookup(cur, at, hashes, sims, k)
                seconds = time.perf_counter() - began
                timings[label] = min(seconds, timings.get(label, seconds))
                rows[label] = history.rows_read
                conn.rollback()
    for label, _at in cases:
        print(f"dedupe lookup, {label}: {timings[label]:.2f} s, {rows[label]:,} rows read")
    ratio = timings["24 h of history"] / timings["empty history"]
    print(f"dedupe lookup alone, 24 h / empty: {ratio:.2f}x")
    step = {label: fingerprints + t for label, t in timings.items()}
    print(
        f"dedupe step (fingerprints {fingerprints:.2f} s + lookup), 24 h / empty:"
        f" {step['24 h of history']:.2f} s / {step['empty history']:.2f} s ="
        f" {step['24 h of history'] / step['empty history']:.2f}x (must stay within 2x)"
    )


def llm_run(dag: Any, size: int) -> None:
    """The same interval again with scorer=llm against the loopback OpenAI server."""
    from tests.servers.openai_server import OpenAIServer

    with OpenAIServer(latency_s=0.05, latency_per_item_s=0.001) as server:
        os.environ["AIRFLOW_CONN_LLM_DEFAULT"] = server.connection()
        meter = Meter()
        meter.install()
        began = time.perf_counter()
        run = dag.test(
            logical_date=WINDOW_START + timedelta(minutes=30), run_conf={"scorer": "llm"}
        )
        wall = time.perf_counter() - began
        calls = len(server.requests_to("/v1/chat/completions", "POST"))
    shards = sum(1 for r in meter.rows if r["task"] == "score")
    state = str(getattr(run.state, "value", run.state))
    print(f"llm run: {state}; {shards} shards, {calls:,} chat calls, wall {wall:.1f} s "
          f"({size / wall:.0f} posts/s)")  # fmt: skip


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[10_000, 50_000, 208_000])
    parser.add_argument(
        "--llm-sizes",
        nargs="*",
        type=int,
        default=None,
        help="sizes that also get the scorer=llm run (default: the smallest)",
    )
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--llm", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        one_size(args.one, args.llm)
        return 0
    llm_sizes = set(args.llm_sizes if args.llm_sizes is not None else [min(args.sizes)])
    print(f"machine load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} "
          f"{os.getloadavg()[2]:.2f} on {os.cpu_count()} cores")  # fmt: skip
    status = 0
    for size in args.sizes:  # one process per size, so each peak RSS is its own
        cmd = [sys.executable, __file__, "--one", str(size)]
        cmd += ["--llm"] if size in llm_sizes else []
        status |= subprocess.call(cmd)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
