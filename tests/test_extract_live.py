"""The extract stage with the live praw source, against a loopback server speaking Reddit's API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.servers.reddit_server import RedditServer
from tickerpulse.config import SAMPLE_DIR, load_settings
from tickerpulse.intervals import Interval
from tickerpulse.parse import as_epoch
from tickerpulse.sources.reddit_replay import ReplayRedditSource
from tickerpulse.stages import extract
from tickerpulse.stages.context import RunParams, StageContext

START = datetime(2024, 3, 5, 15, 0, tzinfo=UTC)


def test_extract_from_praw_writes_the_raw_partition(
    pipeline_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    day = ReplayRedditSource(SAMPLE_DIR).fetch(
        "wallstreetbets", START - timedelta(hours=3), START + timedelta(hours=3), 100_000
    )
    wellformed = [
        r
        for r in day
        if isinstance(r.get("id"), str)
        and as_epoch(r.get("created_utc")) is not None
        and isinstance(r.get("name"), str)
    ]
    end = START + timedelta(minutes=30)
    in_window = {
        r["name"]
        for r in wellformed
        if START.timestamp() <= float(r["created_utc"]) < end.timestamp()
    }
    # the live source reads both listings: every post and comment of the window, replies and
    # comments on older threads included
    expected = in_window
    assert any(
        r["name"] in in_window and str(r.get("parent_id") or "").startswith("t1_") for r in day
    )
    with RedditServer(wellformed) as server:
        monkeypatch.setenv("TICKERPULSE_REDDIT_SOURCE", "praw")
        monkeypatch.setenv("AIRFLOW_CONN_REDDIT_DEFAULT", server.connection())
        settings = load_settings()
        params = RunParams.from_params({"subreddits": ["wallstreetbets"]}, settings)
        ctx = StageContext(Interval(START, end), params, settings)
        out = extract.run(ctx)
        assert server.requests_to("/api/v1/access_token", "POST")
    assert out["origins"] == {"wallstreetbets": "praw"}
    path = Path(pipeline_env["TICKERPULSE_LAKE_URL"].removeprefix("file://")) / (
        "raw/reddit/subreddit=wallstreetbets/dt=2024-03-05/interval=1500.parquet"
    )
    ids = set(pq.read_table(path).column("id").to_pylist())
    assert ids == expected
    assert out["extracted"] == len(expected) > 0

    # A second run of the interval reads the raw partition, not Reddit.
    assert extract.run(ctx)["origins"] == {"wallstreetbets": "lake"}
