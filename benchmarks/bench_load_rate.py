"""How fast the load stage writes to Postgres on this machine: COPY + upsert vs row-by-row INSERT.

Runs the load stage's own SQL path (sql/queries/load_*.sql, tickerpulse.warehouse.copy.copy_rows)
on synthetic posts of realistic size (title + ~400-character body, 1.5 tickers per post) in a
fresh database on the local server (127.0.0.1:5432) or an embedded one, and prints posts/s and
sentiment rows/s for one interval's transaction, the same rows loaded with executemany INSERTs
as the baseline (the ratio is the point), and what 208,000 posts per interval (10M/day) would take.

    .venv/bin/python benchmarks/bench_load_rate.py [posts]   # default 20,000
"""

from __future__ import annotations

import hashlib
import random
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg2
from psycopg2 import sql

from tickerpulse.stages.load import POST_COLUMNS, SENTIMENT_COLUMNS
from tickerpulse.warehouse.copy import copy_rows
from tickerpulse.warehouse.migrate import migrate
from tickerpulse.warehouse.queries import query

INTERVAL = datetime(2024, 3, 5, 14, 0, tzinfo=UTC)
PER_INTERVAL_AT_10M = 208_000
TICKERS = ["AAPL", "TSLA", "NVDA", "AMD", "GME", "SPY", "MSFT", "PLTR", "AMC", "META"]
WORDS = "the stock calls puts earnings moon short squeeze buy sell hold guidance beat miss".split()


def admin_dsn() -> str:
    from tickerpulse.warehouse.embedded import embedded_dsn, local_admin_dsn

    return local_admin_dsn() or embedded_dsn(Path(tempfile.mkdtemp(prefix="bench-pg-")))


def with_db(dsn: str, name: str) -> str:
    if dsn.startswith("postgres"):
        return (
            dsn.rsplit("/", 1)[0] + "/" + name + ("?" + dsn.split("?", 1)[1] if "?" in dsn else "")
        )
    return " ".join([*(p for p in dsn.split() if not p.startswith("dbname=")), f"dbname={name}"])


def synthetic(n: int, seed: int = 7) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    rng = random.Random(seed)
    posts, scores = [], []
    for i in range(n):
        body = " ".join(rng.choice(WORDS) for _ in range(70))
        tickers = sorted(set(rng.choices(TICKERS, k=rng.choice((1, 1, 2)))))
        post_id = f"t1_{i:08d}"
        posts.append(
            {
                "post_id": post_id,
                "kind": "comment",
                "subreddit": "wallstreetbets",
                "author_hash": hashlib.sha256(str(i % 5000).encode()).hexdigest(),
                "author_name": None,
                "title": None,
                "body": body,
                "created_utc": INTERVAL + timedelta(seconds=i % 1800),
                "score": rng.randint(-5, 500),
                "num_comments": 0,
                "parent_id": "t3_parent",
                "permalink": f"/r/wallstreetbets/comments/x/{post_id}",
                "content_hash": hashlib.sha256(body.encode()).hexdigest(),
                "simhash": rng.getrandbits(63),
                "tickers": tickers,
                "interval_start": INTERVAL,
            }
        )
        for ticker in tickers:
            scores.append(
                {
                    "post_id": post_id,
                    "ticker": ticker,
                    "scorer_version": "lexicon-v2",
                    "status": "scored",
                    "score": round(rng.uniform(-1, 1), 4),
                    "label": "bullish",
                    "reasoning": "finance lexicon",
                    "scorer": "offline",
                    "model": None,
                    "prompt_version": None,
                    "unscored_reason": None,
                    "fallback_reason": None,
                    "tokens_in": 0,
                    "tokens_out": 0,
                    "mention_kind": "cashtag",
                    "mention_weight": 1.0,
                    "interval_start": INTERVAL,
                }
            )
    return posts, scores


def load_copy(dsn: str, posts: list[dict[str, Any]], scores: list[dict[str, Any]]) -> float:
    """The load stage's transaction: delete the interval, COPY to staging, upsert, COPY scores."""
    began = time.perf_counter()
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(query("load_delete_interval"), {"interval_start": INTERVAL})
        cur.execute(query("load_create_staging"))
        copy_rows(cur, "stage_posts", POST_COLUMNS, posts)
        cur.execute(query("load_upsert_posts"))
        copy_rows(cur, "tickerpulse.post_sentiment", SENTIMENT_COLUMNS, scores)
    return time.perf_counter() - began


def load_insert(dsn: str, posts: list[dict[str, Any]], scores: list[dict[str, Any]]) -> float:
    """Baseline: the same rows with executemany INSERTs (what a naive loader does)."""
    began = time.perf_counter()
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(query("load_delete_interval"), {"interval_start": INTERVAL})
        for table, columns, rows in (
            ("posts", POST_COLUMNS, posts),
            ("post_sentiment", SENTIMENT_COLUMNS, scores),
        ):
            statement = sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
                sql.Identifier("tickerpulse", table),
                sql.SQL(", ").join(map(sql.Identifier, columns)),
                sql.SQL(", ").join(sql.Placeholder() * len(columns)),
            )
            cur.executemany(statement, [tuple(r[c] for c in columns) for r in rows])
    return time.perf_counter() - began


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    admin = admin_dsn()
    name = f"tp_bench_{uuid.uuid4().hex[:10]}"
    conn = psycopg2.connect(admin)
    conn.autocommit = True
    conn.cursor().execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    dsn = with_db(admin, name)
    try:
        migrate(dsn)
        posts, scores = synthetic(n)
        load_copy(dsn, posts[:1000], scores[:1000])  # warm-up: caches, catalog
        copy_s = min(load_copy(dsn, posts, scores) for _ in range(2))  # 2nd run also deletes
        baseline_n = min(n, 5000)
        b_posts = posts[:baseline_n]
        b_ids = {p["post_id"] for p in b_posts}
        b_scores = [s for s in scores if s["post_id"] in b_ids]
        insert_s = load_insert(dsn, b_posts, b_scores)
        copy_rate = n / copy_s
        insert_rate = baseline_n / insert_s
        print(
            f"server: {admin.split()[0] if ' ' in admin else 'embedded'}; {n} posts,"
            f" {len(scores)} sentiment rows per interval transaction"
        )
        print(
            f"COPY + upsert (load stage): {copy_s:.2f} s -> {copy_rate:,.0f} posts/s,"
            f" {len(scores) / copy_s:,.0f} sentiment rows/s"
        )
        print(
            f"baseline executemany INSERT ({baseline_n} posts): {insert_s:.2f} s ->"
            f" {insert_rate:,.0f} posts/s"
        )
        print(f"ratio: COPY path is {copy_rate / insert_rate:.1f}x the INSERT baseline")
        at_scale = PER_INTERVAL_AT_10M / copy_rate
        print(
            f"10M posts/day = {PER_INTERVAL_AT_10M:,} per interval: ~{at_scale:.0f} s of load"
            f" per 30-minute interval ({at_scale / 1800:.1%} of the interval)"
        )
    finally:
        conn.cursor().execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
