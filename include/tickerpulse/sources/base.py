"""The interfaces that the extract and prices stages depend on.

Live and replay implementations are interchangeable, so every stage can run with no network.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import pandas as pd

from tickerpulse.coverage import ListingWalk

# A Reddit record is the `data` object of a Reddit API `t3` (post) or `t1` (comment) thing, as a
# plain dict: id, name, subreddit, author, title, selftext (posts), body (comments), link_id and
# parent_id (comments), created_utc, score, num_comments (posts), permalink, and where known
# author_created_utc, author_link_karma, author_comment_karma. Values are as the source gave them:
# parsing and typing happen later, so malformed records still reach the raw zone.
RedditRecord = dict[str, Any]

# What Reddit puts in place of the text (and author) of a thing that was removed or deleted.
REMOVED_TEXTS = ("[removed]", "[deleted]")


def refreshed_state(data: dict[str, Any]) -> dict[str, Any]:
    """score, num_comments and removed from a thing's data, however it was removed: by a
    moderator (removed_by_category), by its author (author and text "[deleted]")."""
    text = data.get("selftext") if "selftext" in data else data.get("body")
    author = data.get("author")
    removed = (
        bool(data.get("removed_by_category"))
        or (isinstance(text, str) and text.strip() in REMOVED_TEXTS)
        or author is None
        or (isinstance(author, str) and author in REMOVED_TEXTS)
    )
    score = data.get("score")
    comments = data.get("num_comments")
    return {
        "score": int(score) if isinstance(score, int | float) else None,
        "num_comments": int(comments) if isinstance(comments, int | float) else None,
        "removed": removed,
    }


PRICE_COLUMNS = ["ticker", "bar_start", "open", "high", "low", "close", "volume"]


class PriceFetchError(RuntimeError):
    """The price source could not be asked: the missing bars are unknown, not absent.

    It lives with the contract, not in one source, so callers (`prices/fetch.py`) can catch it
    without importing a source and the libraries it needs.
    """


class RedditSource(Protocol):
    """Posts and comments created in `[start, end)` for one subreddit."""

    name: str

    def fetch(
        self, subreddit: str, start: datetime, end: datetime, limit: int
    ) -> list[RedditRecord]: ...


@dataclass
class Sweep:
    """What a source read for one window: the records, and the listing walks that read them
    (empty for a source that holds everything, such as a recording)."""

    records: list[RedditRecord]
    walks: list[ListingWalk] = field(default_factory=list)


class PriceSource(Protocol):
    """30-minute OHLCV bars with `bar_start` in `[start, end)`.

    Returns a DataFrame with PRICE_COLUMNS; `bar_start` is tz-aware UTC. Tickers the source does
    not know are simply absent from the result.
    """

    name: str

    def bars(self, tickers: Sequence[str], start: datetime, end: datetime) -> pd.DataFrame: ...
