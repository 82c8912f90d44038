"""`tickerpulse explain`: the posts behind a bucket, their weights adding up to the stored mean."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg2
import pytest

from tickerpulse.aggregation import AggregationConfig
from tickerpulse.cli import main
from tickerpulse.explain import bucket_of, explain
from tickerpulse.stages.aggregate import rebuild_bucket
from tickerpulse.warehouse.migrate import migrate

BUCKET = datetime(2024, 3, 5, 14, 0, tzinfo=UTC)


def _seed(dsn: str) -> None:
    migrate(dsn)
    rows = [
        ("t3_a", "wallstreetbets", 10, 0.9, "cashtag", 1.0, "calls printing", False),
        ("t3_b", "stocks", 0, -0.6, "symbol", 0.6, "bag holder", False),
        ("t3_c", "stocks", 3, 0.2, "alias", 1.0, "meh", True),
    ]
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        for i, (pid, sub, up, score, kind, amb, why, removed) in enumerate(rows):
            cur.execute(
                "INSERT INTO tickerpulse.posts (post_id, kind, subreddit, created_utc, score,"
                " content_hash, simhash, interval_start, permalink, removed)"
                " VALUES (%s, 'post', %s, %s, %s, 'h', 0, %s, %s, %s)",
                (pid, sub, BUCKET + timedelta(minutes=5 * i), up, BUCKET,
                 f"/r/{sub}/comments/{pid[3:]}/x/", removed),
            )  # fmt: skip
            cur.execute(
                "INSERT INTO tickerpulse.post_sentiment (post_id, ticker, scorer_version, status,"
                " score, reasoning, scorer, mention_kind, mention_weight, interval_start)"
                " VALUES (%s, 'GME', 'v1', 'scored', %s, %s, 'offline', %s, %s, %s)",
                (pid, score, why, kind, amb, BUCKET),
            )
    rebuild_bucket(dsn, BUCKET, BUCKET + timedelta(minutes=30), AggregationConfig())


def test_bucket_of() -> None:
    assert bucket_of(datetime(2024, 3, 5, 14, 59, 59)) == datetime(2024, 3, 5, 14, 30, tzinfo=UTC)


def test_explain_lists_contributions_that_add_up(fresh_db: str) -> None:
    _seed(fresh_db)
    result = explain(fresh_db, "$gme", BUCKET + timedelta(minutes=17), AggregationConfig())
    assert result.stored is not None
    assert result.stored["mentions"] == 2  # the removed one is out
    assert result.recomputed_mean == pytest.approx(result.stored["weighted_mean"], abs=1e-6)
    by_id = {c.post_id: c for c in result.contributions}
    assert by_id["t3_c"].removed
    assert by_id["t3_c"].weight == 0.0
    assert by_id["t3_a"].weight > by_id["t3_b"].weight > 0
    text = result.render()
    assert "calls printing" in text
    assert "https://www.reddit.com/r/stocks/comments/b/x/" in text
    assert text.index("t3_a") < text.index("t3_b")  # heaviest first


def test_cli_explain(
    fresh_db: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _seed(fresh_db)
    monkeypatch.setenv("DATABASE_URL", fresh_db)
    assert main(["explain", "GME", "--at", "2024-03-05T14:10Z"]) == 0
    assert "t3_a" in capsys.readouterr().out
    assert main(["explain", "GME", "--at", "yesterday"]) == 2
    assert main(["explain", "TSLA", "--at", "2024-03-05T14:10Z"]) == 2
    assert "no mentions of TSLA" in capsys.readouterr().err
