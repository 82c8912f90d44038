"""One archive line: where it goes in the raw zone, or why it cannot go anywhere.

Pushshift records are Reddit's own `data` objects (submissions with `title`/`selftext`, comments
with `body`/`link_id`/`parent_id`), so the raw zone's parser (`tickerpulse.parse.parse_record`)
types them exactly as it types what praw returns. A line in the Reddit API's listing layout,
`{"kind": "t3", "data": {...}}`, is unwrapped first.

A line is placed when it has a subreddit, a usable `created_utc` (which picks its 30-minute
interval) and an id (the fullname that merges it with what the live source wrote, and makes a
second import of the same file add nothing). Anything else is rejected with one of REASONS and
kept, verbatim, beside the import. Fields that are present but malformed (a score that is a
word, a body that is a list) are not the importer's business: the record is placed, and the
pipeline's validation quarantines it with the parser's reason, as for any live record.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from tickerpulse.intervals import INTERVAL
from tickerpulse.parse import as_epoch

EMPTY_LINE = "empty_line"
NOT_JSON = "not_json"
NOT_AN_OBJECT = "not_an_object"
NOT_A_POST_OR_COMMENT = "not_a_post_or_comment"
NO_SUBREDDIT = "no_subreddit"
NO_ID = "no_id"
NO_CREATED_UTC = "no_created_utc"
REASONS = (
    EMPTY_LINE,
    NOT_JSON,
    NOT_AN_OBJECT,
    NOT_A_POST_OR_COMMENT,
    NO_SUBREDDIT,
    NO_ID,
    NO_CREATED_UTC,
)

_SUBREDDIT = re.compile(r"^[A-Za-z0-9_]{1,50}$")
_ID = re.compile(r"^[0-9a-z]{1,20}$")
_FULLNAME = re.compile(r"^t[13]_[0-9a-z]{1,20}$")
_STEP = int(INTERVAL.total_seconds())
_THINGS = {"t1", "t3"}


@dataclass(frozen=True)
class Placed:
    subreddit: str  # lower case: Reddit's names are case-insensitive, the lake's paths are not
    interval_epoch: int  # start of the record's 30-minute interval, epoch seconds UTC


def unwrap(value: Any) -> Any:
    """The `data` object of a Reddit API thing; anything else as it is."""
    if (
        isinstance(value, dict)
        and isinstance(value.get("data"), dict)
        and value.get("kind") in (_THINGS | {"more", "t2", "t4", "t5", "Listing"})
    ):
        if value["kind"] not in _THINGS:
            return None  # a listing, an account or "more" stub: not a post or comment
        data = dict(value["data"])
        data.setdefault("name", f"{value['kind']}_{data.get('id')}")
        return data
    return value


def subreddit_of(record: dict[str, Any]) -> str | None:
    name = record.get("subreddit")
    if not isinstance(name, str) or not name:
        prefixed = record.get("subreddit_name_prefixed")
        name = prefixed[2:] if isinstance(prefixed, str) and prefixed[:2] in ("r/", "R/") else None
    if name is None or not _SUBREDDIT.match(name):
        return None
    return name.lower()


def has_id(record: dict[str, Any]) -> bool:
    """A fullname (`name`) or a bare id: what merging by fullname needs."""
    name, bare = record.get("name"), record.get("id")
    return (isinstance(name, str) and bool(_FULLNAME.match(name))) or (
        isinstance(bare, str) and bool(_ID.match(bare))
    )


def decode(line: bytes) -> str:
    """The line as text: a stray invalid byte costs one character, not the record."""
    return line.decode("utf-8", errors="replace").rstrip("\r\n").lstrip("\ufeff")


def load(line: bytes) -> Any:
    """The line's record (unwrapped), or raises ValueError when it is not JSON."""
    return unwrap(json.loads(decode(line)))


def classify(line: bytes) -> Placed | str:
    """Where the line goes, or the reason (one of REASONS) it is rejected."""
    text = decode(line)
    if not text.strip():
        return EMPTY_LINE
    try:
        value = json.loads(text)
    except ValueError:
        return NOT_JSON
    if not isinstance(value, dict):
        return NOT_AN_OBJECT
    record = unwrap(value)
    if record is None:
        return NOT_A_POST_OR_COMMENT
    subreddit = subreddit_of(record)
    if subreddit is None:
        return NO_SUBREDDIT
    if not has_id(record):
        return NO_ID
    epoch = as_epoch(record.get("created_utc"))
    if epoch is None:
        return NO_CREATED_UTC
    return Placed(subreddit, int(epoch) // _STEP * _STEP)
