"""extract records each interval's coverage in Postgres: honest for a live sweep at real rates,
complete for a recording, untouched when a re-run reads the raw zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg2
import pytest

from tests.conftest import new_database
from tests.servers.reddit_server import RedditServer
from tests.servers.reddit_timeline import TimelineClock, generate
from tickerpulse import coverage_store
from tickerpulse.config import load_settings
from tickerpulse.intervals import Interval
from tickerpulse.stages import extract
from tickerpulse.stages.context import RunParams, StageContext
from tickerpulse.summary import coverage_line

SUB = "wallstreetbets"
START = datetime(2024, 3, 5, 15, 0, tzinfo=UTC)
END = START + timedelta(minutes=30)
LO, HI = START.timestamp(), END.timestamp()


def _coverage(dsn: str) -> dict[str, Any]:
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute("SELECT * FROM tickerpulse.interval_coverage ORDER BY subreddit")
        names = [c.name for c in cur.description]
        rows = [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
    conn.close()
    assert len(rows) == 1
    return rows[0]


def _extract(subreddits: list[str], refresh: bool = False) -> dict[str, Any]:
    settings = load_settings()
    params = RunParams.from_params({"subreddits": subreddits, "refresh_raw": refresh}, settings)
    return extract.run(StageContext(Interval(START, END), params, settings))


@pytest.mark.parametrize(("per_minute", "complete"), [(20, True), (1000, False)])
def test_a_live_sweep_records_whether_the_interval_was_complete(
    per_minute: int,
    complete: bool,
    pipeline_env: dict[str, str],
    pg_admin_dsn: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    records = generate(SUB, LO, HI + 30, comments_per_minute=per_minute, seed=per_minute)
    truth = {r["name"] for r in records if LO <= float(r["created_utc"]) < HI}
    clock = TimelineClock(HI + 30, speed=0)  # the run starts 30 s after the interval ends
    with RedditServer(records, clock=clock) as server:
        monkeypatch.setenv("TICKERPULSE_REDDIT_SOURCE", "praw")
        monkeypatch.setenv("AIRFLOW_CONN_REDDIT_DEFAULT", server.connection())
        out = _extract([SUB])

    row = _coverage(pipeline_env["DATABASE_URL"])
    assert row["source"] == "sweep"
    assert row["complete"] is complete
    seen = row["observed_posts"] + row["observed_comments"]
    true_ratio = seen / len(truth)
    assert out["coverage"] == {SUB: pytest.approx(row["coverage"])}
    assert abs(row["coverage"] - true_ratio) <= 0.02  # the estimate is within 2 points
    if complete:
        assert seen == len(truth)
        assert row["uncovered"] == []
        assert row["coverage"] == 1.0
    else:
        # 1,000 a minute: the reach is about one minute, half of it after the interval
        assert 0.01 < row["coverage"] < 0.03
        (span,) = row["uncovered"]
        assert span["listing"] == "comments"
        assert span["start"] == LO
        assert HI - 45 < span["end"] < HI - 15
        missed = len(truth) - seen
        assert abs(row["est_missed_comments"] - missed) <= 0.1 * missed
        assert row["est_missed_posts"] == 0
    assert row["requests"] >= 2

    # make demo's summary line, read back from Postgres
    rows = coverage_store.summary(load_settings(), START, END)
    line = coverage_line([tuple(r.values()) for r in rows])
    if complete:
        assert line == "Reddit coverage: 1/1 interval-subreddits complete (sweep)"
    else:
        assert line.startswith("Reddit coverage: 0/1 interval-subreddits complete (sweep), lowest")
        assert f"about {row['est_missed_comments']} of " in line

    # A re-run reads the raw zone, and keeps the coverage of the fetch that made it.
    assert _extract([SUB])["origins"] == {SUB: "lake"}
    assert _coverage(pipeline_env["DATABASE_URL"]) == row

    # A warehouse rebuilt from the lake gets the same row: the partition carries it.
    with new_database(pg_admin_dsn, "tp_rebuilt") as rebuilt:
        monkeypatch.setenv("DATABASE_URL", rebuilt)
        again = _extract([SUB])
        assert again["origins"] == {SUB: "lake"}
        assert again["coverage"] == out["coverage"]
        rebuilt_row = _coverage(rebuilt)
        assert rebuilt_row["requests"] == 0  # this run read the lake, not Reddit
        assert {**rebuilt_row, "requests": row["requests"]} == row


def test_a_recording_is_complete(pipeline_env: dict[str, str]) -> None:
    out = _extract(["stocks"])

    row = _coverage(pipeline_env["DATABASE_URL"])
    assert out["origins"] == {"stocks": "replay"}
    assert row["source"] == "replay"
    assert row["complete"]
    assert row["coverage"] == 1.0
    assert row["observed_posts"] + row["observed_comments"] == out["extracted"]
