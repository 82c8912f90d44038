"""Reddit faults through the real praw client: 429, 5xx, timeouts and malformed listings.

The loopback Reddit server injects each fault into the extract stage's real HTTP traffic. The
promise under test: either the client retries and the raw zone ends up byte-identical to a
fault-free extraction, or the task fails with an error that names the fault, having written no
partition of the failing subreddit, and a re-run completes the raw zone to the fault-free bytes.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.servers.reddit_server import (
    ALL_FAULT_KINDS,
    HTTP_429,
    HTTP_503,
    MALFORMED_LISTING,
    TIMEOUT,
    RedditServer,
)
from tickerpulse.config import SAMPLE_DIR, load_settings
from tickerpulse.intervals import Interval
from tickerpulse.parse import as_epoch
from tickerpulse.sources.reddit_praw import RedditUnavailable
from tickerpulse.sources.reddit_replay import ReplayRedditSource
from tickerpulse.stages import extract
from tickerpulse.stages.context import RunParams, StageContext

START = datetime(2024, 3, 5, 15, 0, tzinfo=UTC)
INTERVAL = Interval(START, START + timedelta(minutes=30))
SUBREDDITS = ("stocks", "wallstreetbets")  # extracted in this order
ATTEMPTS = 4
CLIENT_TIMEOUT = 0.3  # seconds; the server's `timeout` fault stalls longer


def _records() -> list[dict[str, Any]]:
    replay = ReplayRedditSource(SAMPLE_DIR)
    out = []
    for sub in SUBREDDITS:
        day = replay.fetch(sub, START - timedelta(hours=3), START + timedelta(hours=3), 100_000)
        out += [
            r
            for r in day
            if isinstance(r.get("id"), str)
            and isinstance(r.get("name"), str)
            and as_epoch(r.get("created_utc")) is not None
        ]
    return out


@pytest.fixture(scope="module")
def module_server() -> Iterator[RedditServer]:
    with RedditServer(_records()) as server:
        yield server


@pytest.fixture
def server(module_server: RedditServer) -> RedditServer:
    """The module's server with its faults, log and knobs reset for one test."""
    module_server.set_chaos(0.0, ())
    module_server.faults_injected.clear()
    module_server.requests.clear()
    module_server.stall_seconds = 1.0
    module_server.ratelimit_reset_seconds = 0
    return module_server


def _use_praw(
    monkeypatch: pytest.MonkeyPatch, server: RedditServer, lake: Path, **extra: Any
) -> None:
    monkeypatch.setenv("TICKERPULSE_HOME", str(lake.parent / "home"))
    monkeypatch.setenv("TICKERPULSE_LAKE_URL", lake.as_uri())
    monkeypatch.setenv("TICKERPULSE_REDDIT_SOURCE", "praw")
    # extract records coverage in Postgres (tests/test_coverage_extract.py); not this file's topic
    monkeypatch.setenv("TICKERPULSE_SINK_WAREHOUSE", "false")
    monkeypatch.setenv(
        "AIRFLOW_CONN_REDDIT_DEFAULT",
        server.connection(
            **{
                "user_agent": "tickerpulse-fault-tests",
                "timeout": CLIENT_TIMEOUT,
                "retry_attempts": ATTEMPTS,
                "retry_backoff": 0.01,
                **extra,
            }
        ),
    )


def _extract() -> dict[str, Any]:
    settings = load_settings()
    params = RunParams.from_params({"subreddits": list(SUBREDDITS)}, settings)
    return extract.run(StageContext(INTERVAL, params, settings))


def _raw_zone(lake: Path) -> dict[str, bytes]:
    """Every file under the lake folder, temp files included, by relative path."""
    return {
        str(p.relative_to(lake)): p.read_bytes() for p in sorted(lake.rglob("*")) if p.is_file()
    }


@pytest.fixture(scope="module")
def reference(
    module_server: RedditServer, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, bytes]:
    """The raw zone of a fault-free extraction of the interval."""
    lake = tmp_path_factory.mktemp("reference") / "lake"
    with pytest.MonkeyPatch.context() as monkeypatch:
        _use_praw(monkeypatch, module_server, lake)
        out = _extract()
    assert out["extracted"] > 0
    assert out["origins"] == dict.fromkeys(SUBREDDITS, "praw")
    zone = _raw_zone(lake)
    assert len(zone) == len(SUBREDDITS)
    return zone


@pytest.mark.parametrize("kind", ALL_FAULT_KINDS)
def test_each_fault_is_retried_to_the_fault_free_result(
    kind: str,
    server: RedditServer,
    reference: dict[str, bytes],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lake = tmp_path / "faulted" / "lake"
    _use_praw(monkeypatch, server, lake)
    # Twice in a row on the post listing (within the retry budget), once on the comment listing.
    server.fail_next(kind, times=2, path_prefix="/r/wallstreetbets/new")
    server.fail_next(kind, times=1, path_prefix="/r/wallstreetbets/comments")
    out = _extract()
    assert server.faults_injected[kind] == 3
    assert out["origins"] == dict.fromkeys(SUBREDDITS, "praw")
    assert _raw_zone(lake) == reference
    listing_calls = server.requests_to("/r/wallstreetbets/new")
    assert len(listing_calls) >= 3  # the two faulted calls were sent again


def test_rate_limit_waits_as_long_as_reddit_says(
    server: RedditServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Retry-After/x-ratelimit-reset win over the (much shorter) backoff."""
    server.ratelimit_reset_seconds = 1
    _use_praw(monkeypatch, server, tmp_path / "lake")
    server.fail_next(HTTP_429, times=1, path_prefix="/r/stocks/new")
    _extract()
    first, second = server.requests_to("/r/stocks/new")[:2]
    assert second.at - first.at >= 0.9


def test_a_rate_limit_longer_than_the_task_may_wait_fails_at_once(
    server: RedditServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.ratelimit_reset_seconds = 600
    _use_praw(monkeypatch, server, tmp_path / "lake", retry_max_wait=5)
    server.fail_next(HTTP_429, times=1, path_prefix="/r/stocks/new")
    with pytest.raises(RedditUnavailable, match=r"HTTP 429.*wait 600 s"):
        _extract()
    assert len(server.requests_to("/r/stocks/new")) == 1
    assert _raw_zone(tmp_path / "lake") == {}


@pytest.mark.parametrize(
    ("kind", "path", "message"),
    [
        (HTTP_503, "/r/wallstreetbets/new", r"GET /r/wallstreetbets/new failed 4 times.*HTTP 503"),
        (TIMEOUT, "/r/wallstreetbets/new", r"GET /r/wallstreetbets/new failed 4 times.*Timeout"),
        (
            MALFORMED_LISTING,
            "/r/wallstreetbets/comments",
            r"GET /r/wallstreetbets/comments/?.*malformed listing",
        ),
    ],
)
def test_a_persistent_fault_fails_cleanly_and_the_rerun_completes(
    kind: str,
    path: str,
    message: str,
    server: RedditServer,
    reference: dict[str, bytes],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lake = tmp_path / "faulted" / "lake"
    _use_praw(monkeypatch, server, lake)
    # Every try of one call of r/wallstreetbets fails: its post or its comment listing.
    server.fail_next(kind, times=ATTEMPTS, path_prefix=path)
    with pytest.raises(RedditUnavailable, match=message):
        _extract()
    assert server.faults_injected[kind] == ATTEMPTS
    # r/stocks, extracted first, is complete; r/wallstreetbets has no partition, not a partial one
    stocks = {k: v for k, v in reference.items() if "subreddit=stocks" in k}
    assert _raw_zone(lake) == stocks

    out = _extract()  # the task's retry
    assert out["origins"] == {"stocks": "lake", "wallstreetbets": "praw"}
    assert _raw_zone(lake) == reference


def test_random_faults_on_every_call_still_give_the_fault_free_raw_zone(
    server: RedditServer,
    reference: dict[str, bytes],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lake = tmp_path / "chaos" / "lake"
    _use_praw(monkeypatch, server, lake, retry_attempts=8)
    server.set_chaos(0.3, ALL_FAULT_KINDS, seed=8)
    _extract()
    assert sum(server.faults_injected.values()) >= 5
    assert _raw_zone(lake) == reference
