"""The collector against the loopback Reddit server on a timeline: at 1,000 comments a minute it
lands everything, extract builds a complete interval from its files plus a final sweep, and a
restart resumes without duplicates or records the gap when it was down longer than the reach.

The timeline clock is moved by the collector's own sleeps (a fast clock): 30 minutes of Reddit
take a few seconds, and every run is exactly repeatable."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg2
import pyarrow.parquet as pq
import pytest

from tests.servers.reddit_server import RedditServer
from tests.servers.reddit_timeline import TimelineClock, generate
from tickerpulse.collector import Collector
from tickerpulse.config import load_settings
from tickerpulse.intervals import Interval
from tickerpulse.lake import Lake
from tickerpulse.sources.reddit_praw import PrawRedditSource, RetryPolicy
from tickerpulse.stages import extract
from tickerpulse.stages.context import RunParams, StageContext

SUB = "wallstreetbets"
START = datetime(2024, 3, 5, 15, 0, tzinfo=UTC)
END = START + timedelta(minutes=30)
LO, HI = START.timestamp(), END.timestamp()


def _source(server: RedditServer, clock: TimelineClock) -> PrawRedditSource:
    return PrawRedditSource(
        client_id=server.client_id,
        client_secret=server.client_secret,
        user_agent="tickerpulse-tests/0.1",
        oauth_url=server.url,
        reddit_url=server.url,
        clock=clock,
        retry=RetryPolicy(attempts=3, backoff_seconds=0.01),
    )


def _collector(server: RedditServer, clock: TimelineClock, lake: Lake) -> Collector:
    return Collector(
        _source(server, clock),
        lake,
        [SUB],
        min_poll=5,
        max_poll=30,
        clock=clock,
        sleep=clock.advance,  # the fast clock: waiting moves the timeline, not the test
    )


def _extract_with_final_sweep(
    server: RedditServer, monkeypatch: pytest.MonkeyPatch
) -> tuple[dict[str, Any], list[str], dict[str, Any]]:
    monkeypatch.setenv("TICKERPULSE_REDDIT_SOURCE", "praw")
    monkeypatch.setenv("AIRFLOW_CONN_REDDIT_DEFAULT", server.connection())
    settings = load_settings()
    params = RunParams.from_params({"subreddits": [SUB]}, settings)
    out = extract.run(StageContext(Interval(START, END), params, settings))
    lake_dir = Path(settings.lake_url.removeprefix("file://"))
    path = lake_dir / "raw/reddit/subreddit=wallstreetbets/dt=2024-03-05/interval=1500.parquet"
    names = pq.read_table(path).column("id").to_pylist()
    with psycopg2.connect(settings.database_url) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT source, complete, coverage, uncovered, est_missed_comments, requests"
            " FROM tickerpulse.interval_coverage"
        )
        ((source, complete, ratio, uncovered, missed, requests),) = cur.fetchall()
    conn.close()
    row = {
        "source": source,
        "complete": complete,
        "coverage": ratio,
        "uncovered": uncovered,
        "missed": missed,
        "requests": requests,
    }
    return out, names, row


def _truth(records: list[dict[str, Any]]) -> set[str]:
    return {r["name"] for r in records if LO <= float(r["created_utc"]) < HI}


@pytest.mark.slow
def test_the_collector_keeps_up_with_1000_a_minute(
    pipeline_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    records = generate(SUB, LO - 600, HI + 60, comments_per_minute=1000, seed=11)
    clock = TimelineClock(LO - 120, speed=0)
    lake = Lake(pipeline_env["TICKERPULSE_LAKE_URL"])
    with RedditServer(records, clock=clock) as server:
        collector = _collector(server, clock, lake)
        collector.run(until=HI + 10)
        collector_requests = collector.source.requests_sent
        clock.set(HI + 10)  # the DAG run's final sweep, 10 s after the interval
        out, ids, row = _extract_with_final_sweep(server, monkeypatch)

    truth = _truth(records)
    assert len(truth) > 29_000
    assert len(ids) == len(set(ids))  # none twice
    assert out["extracted"] == len(truth)  # every post and comment of the interval
    assert row["source"] == "collector", row
    assert row["coverage"] == 1.0, row
    assert row["complete"], row
    per_minute = collector_requests / ((HI + 10 - (LO - 120)) / 60)
    assert per_minute <= 60  # well inside Reddit's 100 a minute


@pytest.mark.slow
@pytest.mark.parametrize(("per_minute", "loses"), [(80, False), (1000, True)])
def test_a_restart_resumes_without_duplicates_or_records_the_gap(
    per_minute: int, loses: bool, pipeline_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Down for 5 minutes: at 80 a minute (400 items) the reach covers the downtime; at 1,000 a
    minute it does not, and the gap is recorded."""
    records = generate(SUB, LO - 600, HI + 60, comments_per_minute=per_minute, seed=per_minute)
    clock = TimelineClock(LO - 60, speed=0)
    lake = Lake(pipeline_env["TICKERPULSE_LAKE_URL"])
    with RedditServer(records, clock=clock) as server:
        _collector(server, clock, lake).run(until=LO + 600)  # killed at 15:10 ...
        clock.advance(300)  # ... down for 5 minutes ...
        restarted = _collector(server, clock, lake)  # ... a new process, same lake
        first = restarted.poll(SUB, "comments")
        restarted.run(until=HI + 10)
        clock.set(HI + 10)
        out, ids, row = _extract_with_final_sweep(server, monkeypatch)

    truth = _truth(records)
    assert len(ids) == len(set(ids))  # none twice
    landed_names = [
        r["name"]
        for f in sorted(Path(pipeline_env["TICKERPULSE_LAKE_URL"][7:]).rglob("comments-*.json"))
        for r in json.loads(f.read_text())["records"]
    ]
    assert len(landed_names) == len(set(landed_names))  # not even in the landing zone
    if not loses:
        assert first.gap is None
        assert first.walk.covered_from <= LO + 600
        assert out["extracted"] == len(truth)
        assert row["complete"]
        assert row["coverage"] == 1.0
    else:
        assert first.gap is not None
        gap_from, gap_to = first.gap
        assert LO + 590 <= gap_from <= LO + 600
        assert LO + 830 < gap_to < LO + 870
        assert not row["complete"]
        (span,) = row["uncovered"]
        assert span["listing"] == "comments"
        assert abs(span["start"] - gap_from) < 30
        assert abs(span["end"] - gap_to) < 1
        missed = len(truth) - out["extracted"]
        assert 3000 < missed < 5000  # ~4 of the 5 minutes at 1,000 a minute
        assert abs(row["missed"] - missed) <= 0.1 * missed  # the estimate says so


def test_the_cli_collects_until_told_and_refuses_a_replay_source(
    pipeline_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from tickerpulse.cli import main

    assert main(["collect"]) == 2  # the pipeline env reads the replay source
    assert "TICKERPULSE_REDDIT_SOURCE=praw" in capsys.readouterr().err

    records = generate(SUB, LO, LO + 300, comments_per_minute=100, seed=3)
    with RedditServer(records) as server:
        monkeypatch.setenv("TICKERPULSE_REDDIT_SOURCE", "praw")
        monkeypatch.setenv("AIRFLOW_CONN_REDDIT_DEFAULT", server.connection())
        # one poll of each listing, then the next is due after --until: it stops
        monkeypatch.setenv("TICKERPULSE_COLLECT_MIN_POLL_SECONDS", "60")
        until = (datetime.now(UTC) + timedelta(seconds=20)).isoformat()
        assert main(["collect", "--subreddits", SUB, "--until", until]) == 0
    lake = Path(pipeline_env["TICKERPULSE_LAKE_URL"].removeprefix("file://"))
    files = sorted(lake.glob("landing/reddit/subreddit=wallstreetbets/dt=*/hour=*/*.json"))
    landed = {r["name"] for f in files for r in json.loads(f.read_text())["records"]}
    assert landed == {r["name"] for r in records}  # both listings, everything within reach
    assert (Path(pipeline_env["TICKERPULSE_HOME"]) / "collector.heartbeat").exists()
    assert "stopped after 2 polls" in capsys.readouterr().out


def test_retention_prunes_old_landing_days_and_keeps_the_checkpoints(tmp_path: Path) -> None:
    from tickerpulse.ops.retention import prune_lake

    lake = Lake((tmp_path / "lake").as_uri())
    old = "landing/reddit/subreddit=x/dt=2024-01-01/hour=10/comments-1.json"
    new = "landing/reddit/subreddit=x/dt=2024-03-05/hour=10/comments-2.json"
    state = "landing/reddit/_state/subreddit=x/listing=comments.json"
    for rel in (old, new, state):
        lake.write_bytes(rel, b"{}")

    prune_lake(lake, 400, 14, now=datetime(2024, 3, 6, tzinfo=UTC))

    assert not lake.exists(old)
    assert lake.exists(new)
    assert lake.exists(state)


@pytest.fixture
def s3_lake(monkeypatch: pytest.MonkeyPatch) -> Any:
    """The lake on moto's S3 server (tests/test_lake.py's fixture), Airflow's cached filesystem
    for the connection dropped before and after (each test has its own endpoint)."""
    from airflow.sdk.io import store

    from tests.test_lake import s3_server

    store._STORE_CACHE.pop("s3-aws_default", None)
    generator = s3_server.__wrapped__(monkeypatch)  # type: ignore[attr-defined]
    next(generator)
    try:
        yield Lake("s3://aws_default@lake/tickerpulse")
    finally:
        store._STORE_CACHE.pop("s3-aws_default", None)
        next(generator, None)


@pytest.mark.slow
def test_the_collector_lands_on_s3_and_resumes_from_its_checkpoints(s3_lake: Lake) -> None:
    from tickerpulse.collector import landed

    records = generate(SUB, LO - 300, LO + 900, comments_per_minute=200, seed=7)
    clock = TimelineClock(LO - 60, speed=0)
    with RedditServer(records, clock=clock) as server:
        _collector(server, clock, s3_lake).run(until=LO + 300)
        _collector(server, clock, s3_lake).run(until=LO + 600)  # a restart: the same checkpoints
    docs = list(landed(s3_lake, SUB, LO, LO + 600))
    names = [r["name"] for d in docs for r in d["records"]]
    created = {r["name"]: float(r["created_utc"]) for r in records}
    inside = {n for n in names if LO <= created[n] < LO + 540}
    truth = {n for n, at in created.items() if LO <= at < LO + 540}
    assert inside == truth
    assert len(names) == len(set(names))
    assert all(s3_lake.url(LANDING_PREFIX) in u for u in s3_lake.list(f"{LANDING_PREFIX}/_state"))


LANDING_PREFIX = "landing/reddit"
