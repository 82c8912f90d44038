"""praw against a loopback server that speaks Reddit's OAuth API."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.servers.reddit_server import RedditServer
from tickerpulse.sources.reddit_praw import PrawRedditSource

START = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)
END = START + timedelta(minutes=30)
SUB = "wallstreetbets"


def post(pid: str, at: datetime, **extra: Any) -> dict[str, Any]:
    return {
        "id": pid,
        "name": f"t3_{pid}",
        "subreddit": SUB,
        "author": f"user_{pid}",
        "author_fullname": f"t2_{pid}",
        "title": f"title {pid}",
        "selftext": f"text {pid}",
        "created_utc": at.timestamp(),
        "score": 10,
        "num_comments": 0,
        "permalink": f"/r/{SUB}/comments/{pid}/x/",
        **extra,
    }


def comment(cid: str, post_id: str, at: datetime, parent: str | None = None, **extra: Any):
    return {
        "id": cid,
        "name": f"t1_{cid}",
        "subreddit": SUB,
        "author": f"user_{cid}",
        "body": f"body {cid}",
        "link_id": f"t3_{post_id}",
        "parent_id": parent or f"t3_{post_id}",
        "created_utc": at.timestamp(),
        "score": 5,
        "permalink": f"/r/{SUB}/comments/{post_id}/x/{cid}/",
        **extra,
    }


def source_for(server: RedditServer, **kwargs: Any) -> PrawRedditSource:
    return PrawRedditSource(
        client_id="test-client",
        client_secret="test-secret",
        user_agent="tickerpulse-tests/0.1",
        oauth_url=server.url,
        reddit_url=server.url,
        **kwargs,
    )


@pytest.fixture
def window_server() -> Iterator[RedditServer]:
    minute = timedelta(minutes=1)
    records = [
        post("after1", END + minute),
        post("edge_end", END),  # end is exclusive
        post("in1", END - minute, title="AMD & NVDA <3 to the moon"),
        post("in2", START + 10 * minute, author="[deleted]"),
        post("edge_start", START),  # start is inclusive
        post("before1", START - minute),
        post("before2", START - 2 * minute),
        comment("c_in", "in1", END - minute / 2),
        comment("c_late", "in1", END + minute),
        comment("c_reply", "in1", END - minute / 2, parent="t1_c_in"),
        comment("c_gone", "in2", START + 11 * minute, author="[deleted]"),
    ]
    with RedditServer(records) as server:
        yield server


def test_only_records_created_in_the_window_come_back(window_server: RedditServer) -> None:
    records = source_for(window_server).fetch(SUB, START, END, limit=100)

    names = [r["name"] for r in records]
    assert [n for n in names if n.startswith("t3_")] == ["t3_in1", "t3_in2", "t3_edge_start"]
    # every comment created in the window, replies included, newest first; none created later
    assert [n for n in names if n.startswith("t1_")] == ["t1_c_reply", "t1_c_in", "t1_c_gone"]


def test_records_have_the_reddit_data_shape(window_server: RedditServer) -> None:
    records = {r["id"]: r for r in source_for(window_server).fetch(SUB, START, END, limit=100)}

    post_in1 = records["in1"]
    assert post_in1["subreddit"] == SUB
    assert post_in1["author"] == "user_in1"
    assert post_in1["title"] == "AMD & NVDA <3 to the moon"  # raw_json=1: not HTML-escaped
    assert post_in1["created_utc"] == (END - timedelta(minutes=1)).timestamp()
    assert post_in1["permalink"] == f"/r/{SUB}/comments/in1/x/"
    assert {"selftext", "score", "num_comments", "name"} <= post_in1.keys()
    assert "author_link_karma" not in post_in1  # not in the payload, and never fetched

    c_in = records["c_in"]
    assert c_in["body"] == "body c_in"
    assert c_in["link_id"] == "t3_in1"
    assert c_in["parent_id"] == "t3_in1"
    assert c_in["subreddit"] == SUB


def test_deleted_authors_become_the_deleted_marker(window_server: RedditServer) -> None:
    records = {r["id"]: r for r in source_for(window_server).fetch(SUB, START, END, limit=100)}

    assert records["in2"]["author"] == "[deleted]"
    assert records["c_gone"]["author"] == "[deleted]"


def test_oauth_then_one_page_of_each_listing(window_server: RedditServer) -> None:
    source_for(window_server).fetch(SUB, START, END, limit=100)

    tokens = window_server.requests_to("/api/v1/access_token", "POST")
    assert len(tokens) == 1
    assert tokens[0].headers["authorization"].startswith("Basic ")
    listing = window_server.requests_to(f"/r/{SUB}/new")
    assert len(listing) == 1
    assert listing[0].param("raw_json") == "1"
    comments = window_server.requests_to(f"/r/{SUB}/comments")
    assert len(comments) == 1
    assert comments[0].param("raw_json") == "1"
    assert window_server.requests_to("/comments/") == []  # no request per post
    assert len(window_server.requests) == 1 + 1 + 1  # nothing per author, nothing else


def test_no_comment_requests_when_comments_are_off(window_server: RedditServer) -> None:
    records = source_for(window_server, include_comments=False).fetch(SUB, START, END, 100)

    assert all(r["name"].startswith("t3_") for r in records)
    assert window_server.requests_to(f"/r/{SUB}/comments") == []


def test_listing_is_paged_beyond_one_hundred_items() -> None:
    seconds = timedelta(seconds=1)
    records = [post(f"p{i:03d}", START + i * seconds) for i in range(250)]
    records.append(post("old", START - seconds))
    with RedditServer(records) as server:
        fetched = source_for(server, include_comments=False).fetch(SUB, START, END, limit=1000)

        pages = server.requests_to(f"/r/{SUB}/new")
    assert len(fetched) == 250
    assert len({r["id"] for r in fetched}) == 250
    assert [p.param("after") for p in pages] == [None, "t3_p150", "t3_p050"]
    assert all(p.param("limit") == "1000" for p in pages)  # the server caps each page at 100


def test_limit_bounds_the_walk() -> None:
    records = [post(f"p{i:03d}", START + i * timedelta(seconds=1)) for i in range(250)]
    with RedditServer(records) as server:
        fetched = source_for(server, include_comments=False).fetch(SUB, START, END, limit=120)

    assert [r["id"] for r in fetched][:2] == ["p249", "p248"]
    assert len(fetched) == 120


def test_comments_of_old_threads_and_replies_are_read_and_paged() -> None:
    """Most talk is in a discussion thread opened hours before, much of it replies: the
    subreddit-wide comment listing reads them all, 100 a page, and stops past the window."""
    daily = post("daily", START - timedelta(hours=5))
    records = [daily, comment("old", "daily", START - timedelta(seconds=1))]
    parent = "t3_daily"
    for i in range(250):
        records.append(comment(f"c{i:03d}", "daily", START + i * timedelta(seconds=3), parent))
        parent = f"t1_c{i:03d}" if i % 3 else "t3_daily"
    with RedditServer(records) as server:
        sweep = source_for(server).sweep(SUB, START, END, limit=100)

        pages = server.requests_to(f"/r/{SUB}/comments")
    comments = [r for r in sweep.records if r["name"].startswith("t1_")]
    assert len(comments) == 250 == len({r["name"] for r in comments})
    assert {r["link_id"] for r in comments} == {"t3_daily"}
    assert sum(r["parent_id"].startswith("t1_") for r in comments) == 166  # replies kept
    assert [p.param("after") for p in pages] == [None, "t1_c150", "t1_c050"]
    # the third page reached the comment before the window: the window is covered
    walk = next(w for w in sweep.walks if w.listing == "comments")
    assert walk.covered_from <= START.timestamp()
    assert walk.requests == 3


def test_author_fields_pass_through_only_when_the_listing_has_them() -> None:
    at = START + timedelta(minutes=1)
    records = [
        post("rich", at, author_created_utc=1_500_000_000.0, author_link_karma=42),
        post("plain", at - timedelta(seconds=1)),
    ]
    with RedditServer(records) as server:
        fetched = {
            r["id"]: r
            for r in source_for(server, include_comments=False).fetch(SUB, START, END, 10)
        }
        assert server.requests_to("/user/") == []

    assert fetched["rich"]["author_created_utc"] == 1_500_000_000.0
    assert fetched["rich"]["author_link_karma"] == 42
    assert "author_comment_karma" not in fetched["rich"]
    assert not {"author_created_utc", "author_link_karma"} & fetched["plain"].keys()


def test_from_connection_reads_the_airflow_connection_fields(window_server: RedditServer) -> None:
    conn = {
        "login": "test-client",
        "password": "test-secret",
        "extra": {
            "user_agent": "tickerpulse-tests/0.1",
            "oauth_url": window_server.url,
            "reddit_url": window_server.url,
        },
    }
    records = PrawRedditSource.from_connection(conn).fetch(SUB, START, END, limit=100)

    assert {r["id"] for r in records} >= {"in1", "in2"}


def test_from_connection_rejects_missing_credentials() -> None:
    with pytest.raises(ValueError, match="user_agent"):
        PrawRedditSource.from_connection({"login": "a", "password": "b", "extra": {}})


def test_bad_credentials_fail_loudly(window_server: RedditServer) -> None:
    import prawcore

    source = PrawRedditSource(
        client_id="test-client",
        client_secret="wrong",
        user_agent="tickerpulse-tests/0.1",
        oauth_url=window_server.url,
        reddit_url=window_server.url,
    )
    with pytest.raises(prawcore.exceptions.ResponseException):
        source.fetch(SUB, START, END, limit=100)
