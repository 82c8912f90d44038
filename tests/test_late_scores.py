"""Late scores: praw's /api/info through the loopback Reddit server, the replay path, and the
warehouse update that rebuilds the rollups the changed posts feed."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg2

from tests.servers.reddit_server import RedditServer
from tests.test_reddit_praw import comment, post, source_for
from tickerpulse.aggregation import AggregationConfig
from tickerpulse.sources.reddit_replay import ReplayRedditSource
from tickerpulse.stages.aggregate import rebuild_bucket
from tickerpulse.stages.late_scores import refresh_scores
from tickerpulse.warehouse.migrate import migrate

AT = datetime(2024, 3, 5, 14, 10, tzinfo=UTC)
BUCKET = datetime(2024, 3, 5, 14, 0, tzinfo=UTC)
CFG = AggregationConfig()


def test_praw_refresh_batches_by_100_and_reads_removals() -> None:
    records: list[dict[str, Any]] = [post(f"p{i:03d}", AT) for i in range(150)]
    records[0]["score"] = 99
    records[1].update(selftext="[removed]", removed_by_category="moderator")
    records.append(comment("c1", "p002", AT, author="[deleted]", body="[deleted]"))
    with RedditServer(records) as server:
        source = source_for(server)
        got = source.refresh([f"t3_p{i:03d}" for i in range(150)] + ["t1_c1", "t3_gone"])
        info_calls = [r for r in server.requests if r.path.rstrip("/") == "/api/info"]
    assert len(info_calls) == 2  # 151 known ids + 1 unknown -> two requests of <= 100
    assert got["t3_p000"] == {"score": 99, "num_comments": 0, "removed": False}
    assert got["t3_p001"]["removed"]
    assert got["t1_c1"]["removed"]
    assert "t3_gone" not in got
    assert len(got) == 151


def test_replay_refresh_reads_recorded_snapshots(tmp_path: Path) -> None:
    folder = tmp_path / "reddit" / "subreddit=stocks"
    folder.mkdir(parents=True)
    lines = [
        {**post("a", AT), "refreshed_score": 40},
        {**post("b", AT), "removed_by_category": "moderator"},
        "not json",
    ]
    (folder / "dt=2024-03-05.jsonl").write_text(
        "\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n"
    )
    got = ReplayRedditSource(tmp_path).refresh(["t3_a", "t3_b", "t3_c"])
    assert got == {
        "t3_a": {"score": 40, "num_comments": 0, "removed": False},
        "t3_b": {"score": 10, "num_comments": 0, "removed": True},
    }


class FakeSource:
    def __init__(self, states: dict[str, dict[str, Any]]) -> None:
        self.states = states
        self.asked: list[str] = []

    def refresh(self, post_ids: Any) -> dict[str, dict[str, Any]]:
        self.asked = list(post_ids)
        return {k: v for k, v in self.states.items() if k in self.asked}


def _load(dsn: str, rows: list[tuple[str, datetime, int, str, float]]) -> None:
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        for pid, created, score, ticker, sentiment in rows:
            bucket = created.replace(minute=created.minute - created.minute % 30)
            cur.execute(
                "INSERT INTO tickerpulse.posts (post_id, kind, subreddit, created_utc, score,"
                " num_comments, content_hash, simhash, interval_start)"
                " VALUES (%s, 'post', 'stocks', %s, %s, 0, 'h', 0, %s)",
                (pid, created, score, bucket),
            )
            cur.execute(
                "INSERT INTO tickerpulse.post_sentiment (post_id, ticker, scorer_version, status,"
                " score, scorer, mention_kind, mention_weight, interval_start)"
                " VALUES (%s, %s, 'v1', 'scored', %s, 'offline', 'symbol', 1.0, %s)",
                (pid, ticker, sentiment, bucket),
            )


def _rollup(dsn: str) -> list[tuple[Any, ...]]:
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT ticker, mentions, weighted_mean FROM tickerpulse.sentiment_30m"
            " WHERE bucket_start = %s ORDER BY ticker",
            (BUCKET,),
        )
        return cur.fetchall()


def test_refresh_updates_posts_and_rebuilds_the_rollups(fresh_db: str) -> None:
    migrate(fresh_db)
    old = AT - timedelta(hours=40)  # beyond 36 hours: never asked about
    _load(
        fresh_db,
        [
            ("t3_a", AT, 0, "GME", 0.8),
            ("t3_b", AT + timedelta(minutes=1), 0, "GME", -0.8),
            ("t3_c", AT + timedelta(minutes=2), 0, "AMC", 0.5),
            ("t3_old", old, 0, "GME", 0.1),
        ],
    )
    rebuild_bucket(fresh_db, BUCKET, BUCKET + timedelta(minutes=30), CFG)
    before = _rollup(fresh_db)
    assert abs(before[1][2]) < 0.01  # GME: +0.8 and -0.8 with (nearly) equal weights
    source = FakeSource(
        {
            "t3_a": {"score": 500, "num_comments": 12, "removed": False},
            "t3_b": {"score": 0, "num_comments": 0, "removed": False},
            "t3_c": {"score": 0, "num_comments": 0, "removed": True},
            "t3_old": {"score": 1, "num_comments": 0, "removed": True},
        }
    )
    until = BUCKET + timedelta(minutes=30)
    counts = refresh_scores(fresh_db, source, until, cfg=CFG, now=until)
    assert sorted(source.asked) == ["t3_a", "t3_b", "t3_c"]
    assert counts["checked"] == 3
    assert counts["changed"] == 2
    assert counts["removed"] == 1
    after = _rollup(fresh_db)
    assert [r[0] for r in after] == ["GME"]  # AMC's only post was removed
    assert after[0][2] > 0.5  # the upvoted bullish post now outweighs the bearish one
    with psycopg2.connect(fresh_db) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT post_id, score, num_comments, removed FROM tickerpulse.posts ORDER BY 1"
        )
        assert cur.fetchall() == [
            ("t3_a", 500, 12, False),
            ("t3_b", 0, 0, False),
            ("t3_c", 0, 0, True),
            ("t3_old", 0, 0, False),
        ]
    again = refresh_scores(fresh_db, source, until, cfg=CFG, now=until)
    assert again["changed"] == 0
    assert again["buckets_rebuilt"] == 0  # idempotent


def test_posts_first_then_ticker_comments_at_their_ages_within_the_cap(fresh_db: str) -> None:
    """With every comment read, late_scores cannot refresh all of them: posts first, then the
    comments that mention a ticker as they turn 1, 6 or 24 hours old; the rest is counted."""
    from tickerpulse.stages.late_scores import Priorities

    migrate(fresh_db)
    until = BUCKET + timedelta(minutes=30)
    items = [
        (f"t3_p{i:03d}", "post", until - timedelta(hours=i % 30, minutes=5), True)
        for i in range(150)
    ]
    for hours in (1, 6, 24):  # turning 1 h, 6 h, 24 h in this interval: due
        items += [
            (f"t1_due{hours}_{i}", "comment", until - timedelta(hours=hours, minutes=10), True)
            for i in range(20)
        ]
    items += [(f"t1_mid{i}", "comment", until - timedelta(hours=3), True) for i in range(40)]
    items += [
        (f"t1_plain{i}", "comment", until - timedelta(hours=1, minutes=10), False)
        for i in range(70)
    ]
    with psycopg2.connect(fresh_db) as conn, conn.cursor() as cur:
        for pid, kind, created, tickers in items:
            bucket = created.replace(minute=created.minute - created.minute % 30, second=0)
            cur.execute(
                "INSERT INTO tickerpulse.posts (post_id, kind, subreddit, created_utc, score,"
                " num_comments, content_hash, simhash, interval_start)"
                " VALUES (%s, %s, 'stocks', %s, 0, 0, 'h', 0, %s)",
                (pid, kind, created, bucket),
            )
            if tickers:
                cur.execute(
                    "INSERT INTO tickerpulse.post_sentiment (post_id, ticker, scorer_version,"
                    " status, score, scorer, mention_kind, mention_weight, interval_start)"
                    " VALUES (%s, 'GME', 'v1', 'scored', 0.1, 'offline', 'symbol', 1.0, %s)",
                    (pid, bucket),
                )
    conn.close()
    source = FakeSource({})

    counts = refresh_scores(
        fresh_db, source, until, cfg=CFG, now=until, priorities=Priorities((1, 6, 24), 2)
    )

    # 2 requests = 200 ids: the 150 posts, then the 50 newest of the 60 due comments
    assert len(source.asked) == 200
    assert all(a.startswith("t3_") for a in source.asked[:150])
    assert all(a.startswith("t1_due") for a in source.asked[150:])
    # newest first: the 1 h and 6 h comments whole, 10 of the 24 h ones
    assert sum(a.startswith("t1_due24") for a in source.asked) == 10
    assert counts["refreshed_posts"] == 150
    assert counts["refreshed_comments"] == 50
    assert counts["skipped_no_ticker"] == 70
    assert counts["skipped_off_age"] == 40
    assert counts["skipped_over_cap"] == 10
    assert counts["requests"] == 2
    with psycopg2.connect(fresh_db) as conn, conn.cursor() as cur:
        cur.execute("SELECT * FROM tickerpulse.late_score_runs")
        assert cur.fetchall() == [(BUCKET, 320, 150, 50, 70, 40, 10, 2)]
    conn.close()
