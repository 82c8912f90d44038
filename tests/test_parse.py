"""The record parser types what it can and never raises or loses a record."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from tickerpulse.parse import parse_record

GOOD_POST = {
    "id": "abc123",
    "name": "t3_abc123",
    "subreddit": "wallstreetbets",
    "author": "u1",
    "title": "GME 🚀",
    "selftext": "to the moon",
    "created_utc": 1709647200.0,
    "score": 12,
    "num_comments": 3,
    "permalink": "/r/wallstreetbets/comments/abc123/x/",
}


def test_good_post_is_typed() -> None:
    row = parse_record(GOOD_POST, 7, "wallstreetbets")
    assert row["id"] == "t3_abc123"
    assert row["kind"] == "post"
    assert row["record_no"] == 7
    assert row["created_utc"] == datetime(2024, 3, 5, 14, 0, tzinfo=UTC)
    assert row["parse_error"] is None
    assert json.loads(row["raw_json"]) == GOOD_POST


def test_comment_without_name_gets_t1_prefix() -> None:
    rec = {
        "id": "c1",
        "body": "puts",
        "created_utc": 1709647200,
        "score": 1,
        "author": "x",
        "parent_id": "t3_abc123",
    }
    row = parse_record(rec, 0, "stocks")
    assert (row["id"], row["kind"], row["body"]) == ("t1_c1", "comment", "puts")


def test_malformed_fields_are_nulled_with_reasons() -> None:
    rec = {**GOOD_POST, "score": "lots", "created_utc": "yesterday", "selftext": ["a", "b"]}
    row = parse_record(rec, 0, "wallstreetbets")
    assert row["score"] is None
    assert row["created_utc"] is None
    assert row["body"] is None
    for reason in ("score is not an integer", "created_utc is not a timestamp", "selftext is list"):
        assert reason in row["parse_error"]


def test_missing_id_nul_bytes_and_lone_surrogates() -> None:
    rec = {"title": "a\x00b", "selftext": "bad \ud800 surrogate", "created_utc": 1709647200}
    row = parse_record(rec, 0, "stocks")
    assert row["id"] is None
    assert "id is missing" in row["parse_error"]
    assert "\x00" not in row["raw_json"]
    row["raw_json"].encode("utf-8")


def test_non_object_and_unparseable_line() -> None:
    assert "not an object" in parse_record([1, 2], 0, "s")["parse_error"]
    row = parse_record({"_unparseable_line": "{oops", "subreddit": "s"}, 3, "s")
    assert row["parse_error"] == "line is not valid JSON"
    assert row["raw_json"]


def test_a_name_without_the_fullname_underscore_is_not_a_fullname() -> None:
    """Found by the property test: 't100' is an id, not a t1_ fullname."""
    row = parse_record({"name": "t100"}, 0, "s")
    assert row["id"] is None
    assert "id is missing" in row["parse_error"]
    assert parse_record({"name": "t100", "id": "x", "body": "b"}, 0, "s")["id"] == "t1_x"
