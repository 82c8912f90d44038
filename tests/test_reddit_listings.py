"""The subreddit-wide comment listing on a timeline, Reddit's request limit, and what one sweep
at the end of an interval covers at real rates: praw against the loopback server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.servers.reddit_server import LISTING_REACH, RedditServer
from tests.servers.reddit_timeline import TimelineClock, generate
from tickerpulse.coverage import window_coverage
from tickerpulse.sources.reddit_praw import PrawRedditSource, RetryPolicy

SUB = "wallstreetbets"
START = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)
END = START + timedelta(minutes=30)
LO, HI = START.timestamp(), END.timestamp()


def source_for(server: RedditServer, clock: TimelineClock, **kwargs: object) -> PrawRedditSource:
    return PrawRedditSource(
        client_id="test-client",
        client_secret="test-secret",
        user_agent="tickerpulse-tests/0.1",
        oauth_url=server.url,
        reddit_url=server.url,
        clock=clock,
        retry=RetryPolicy(attempts=5, backoff_seconds=0.01, max_wait_seconds=5),
        **kwargs,  # type: ignore[arg-type]
    )


def truth(records: list[dict[str, object]], prefix: str) -> set[str]:
    return {
        str(r["name"])
        for r in records
        if str(r["name"]).startswith(prefix) and LO <= float(r["created_utc"]) < HI  # type: ignore[arg-type]
    }


def test_listing_shows_only_what_has_happened_and_reaches_back_1000_items() -> None:
    records = generate(SUB, LO, HI, comments_per_minute=100, seed=1)
    clock = TimelineClock(LO + 600, speed=0)
    with RedditServer(records, clock=clock) as server:
        source = source_for(server, clock)
        sub = source._reddit.subreddit(SUB)
        early = list(sub.comments(limit=None))
        clock.set(HI)
        late = list(sub.comments(limit=None))

    assert all(c.created_utc <= LO + 600 for c in early)
    assert 900 < len(early) <= LISTING_REACH  # ~1,000 comments in the first 10 minutes
    assert len(late) == LISTING_REACH  # the reach, not the 3,000 that happened
    assert min(c.created_utc for c in late) > LO + 600  # the early ones are out of reach
    created = [c.created_utc for c in late]
    assert created == sorted(created, reverse=True)  # newest first


def test_timeline_is_shaped_like_the_measured_subreddit() -> None:
    records = generate(SUB, LO, HI, comments_per_minute=80, seed=2)
    comments = [r for r in records if r["name"].startswith("t1_")]
    daily = next(r for r in records if r.get("title") == "Daily Discussion Thread")

    assert 2200 < len(comments) < 2600  # 80 a minute for 30 minutes
    in_daily = sum(c["link_id"] == daily["name"] for c in comments) / len(comments)
    replies = sum(c["parent_id"].startswith("t1_") for c in comments) / len(comments)
    assert 0.45 < in_daily < 0.55
    assert 0.5 < replies < 0.7
    assert float(daily["created_utc"]) <= LO - 3 * 3600


def test_requests_over_the_limit_get_429_and_the_source_waits_and_completes() -> None:
    records = generate(SUB, LO, HI, comments_per_minute=100, seed=3)
    clock = TimelineClock(HI, speed=0)
    with RedditServer(records, clock=clock) as server:
        free = source_for(server, clock).sweep(SUB, START, END, limit=1000)
    with RedditServer(
        records, clock=clock, requests_per_minute=4, rate_window_seconds=1.0
    ) as server:
        limited = source_for(server, clock).sweep(SUB, START, END, limit=1000)

        pages = [r for r in server.requests if r.path.startswith("/r/")]
    assert server.rate_limited > 0  # 1 + 10 listing pages do not fit in 4 a second
    assert len(pages) == 11 + server.rate_limited  # each 429 was sent again
    assert [r["name"] for r in limited.records] == [r["name"] for r in free.records]


@pytest.mark.parametrize(
    ("per_minute", "complete"),
    [(20, True), (80, False), (1000, False)],
)
def test_one_sweep_at_the_end_records_its_coverage_honestly(
    per_minute: int, complete: bool
) -> None:
    """Below ~33 comments a minute one sweep reaches back 30 minutes; above, it cannot, says
    so, and estimates the missed comments from the rate it saw."""
    records = generate(SUB, LO, HI + 5, comments_per_minute=per_minute, seed=per_minute)
    clock = TimelineClock(HI + 5, speed=0)  # the sweep runs 5 s after the interval ends
    with RedditServer(records, clock=clock) as server:
        sweep = source_for(server, clock).sweep(SUB, START, END, limit=1000)

    got = {r["name"] for r in sweep.records}
    posts, comments = truth(records, "t3_"), truth(records, "t1_")
    assert got <= posts | comments  # nothing outside the window, nothing invented
    observed = {"posts": len(got & posts), "comments": len(got & comments)}
    coverage = window_coverage(LO, HI, sweep.walks, observed)
    assert coverage.listings["posts"].complete
    assert observed["posts"] == len(posts)
    assert coverage.complete is complete
    true_ratio = len(got) / len(posts | comments)
    if complete:
        assert got == posts | comments
        assert coverage.ratio == 1.0
        return
    missed = len(comments) - observed["comments"]
    estimate = coverage.listings["comments"].estimated_missed
    assert abs(estimate - missed) <= 0.1 * missed  # the observed rate extrapolates well
    assert abs(coverage.ratio - true_ratio) <= 0.02  # within 2 points of the truth
    ((span_start, span_end),) = coverage.listings["comments"].uncovered
    assert span_start == LO
    assert LO < span_end < HI
    expected_reach = 30 * 60 * min(1.0, LISTING_REACH / (per_minute * 30))
    assert abs((HI - span_end) - expected_reach) < 0.15 * expected_reach
