"""Live Reddit through praw, with OAuth client credentials (read-only, no user login).

Reddit's `/new` listing is newest first, so the walk stops at the first post older than the
window: a 30-minute interval costs one or two listing pages, not the whole 1,000-item reach.
Records are read from what the listing already returned (`vars(obj)`), never through praw's
lazy attributes, which would cost one HTTP request per post or author. The only other request
is one comments page per kept post.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import praw
from praw.models import Comment, MoreComments, Submission

from tickerpulse.sources.base import RedditRecord

log = logging.getLogger(__name__)

DELETED = "[deleted]"
# Fields copied as the listing gave them; subreddit and author are praw objects, handled apart.
POST_FIELDS = (
    "id",
    "name",
    "title",
    "selftext",
    "created_utc",
    "score",
    "num_comments",
    "permalink",
)
COMMENT_FIELDS = ("id", "name", "body", "link_id", "parent_id", "created_utc", "score", "permalink")
# Present only when an API proxy or a future Reddit payload carries them inline; never fetched.
AUTHOR_FIELDS = ("author_created_utc", "author_link_karma", "author_comment_karma")
COMMENT_SORT = "top"
INFO_BATCH = 100  # ids per /api/info request, Reddit's maximum
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


class PrawRedditSource:
    """Posts and top-level comments created in `[start, end)`, as Reddit `data` dicts."""

    name = "praw"

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        user_agent: str,
        oauth_url: str | None = None,
        reddit_url: str | None = None,
        include_comments: bool = True,
        comments_per_post: int = 20,
    ) -> None:
        urls: dict[str, Any] = {"oauth_url": oauth_url, "reddit_url": reddit_url}
        self._reddit = praw.Reddit(
            client_id=client_id,
            client_secret=client_secret,
            user_agent=user_agent,
            check_for_updates=False,
            **{key: value for key, value in urls.items() if value},
        )
        self._reddit.read_only = True
        self.include_comments = include_comments
        self.comments_per_post = comments_per_post

    @classmethod
    def from_connection(cls, conn: dict[str, Any]) -> PrawRedditSource:
        """Build from an Airflow connection as a plain dict (login=client_id, password=secret)."""
        extra = conn.get("extra") or {}
        if isinstance(extra, str):
            extra = json.loads(extra) if extra.strip() else {}
        if not conn.get("login") or not conn.get("password") or not extra.get("user_agent"):
            raise ValueError(
                "the Reddit connection needs login (client_id), password (client_secret) "
                'and extra {"user_agent": ...}'
            )
        return cls(
            client_id=conn["login"],
            client_secret=conn["password"],
            user_agent=extra["user_agent"],
            oauth_url=extra.get("oauth_url"),
            reddit_url=extra.get("reddit_url"),
            include_comments=_as_bool(extra.get("include_comments", True)),
            comments_per_post=int(extra.get("comments_per_post", 20)),
        )

    def fetch(
        self, subreddit: str, start: datetime, end: datetime, limit: int
    ) -> list[RedditRecord]:
        lo, hi = _epoch(start), _epoch(end)
        records: list[RedditRecord] = []
        for submission in self._reddit.subreddit(subreddit).new(limit=limit):
            created = _created(submission)
            if created is None:
                log.warning(
                    "r/%s: post %s has no usable created_utc; skipped", subreddit, submission
                )
                continue
            if created < lo:
                break  # /new is newest first: everything after this is older still
            if created >= hi:
                continue
            records.append(_post_record(submission))
            if self.include_comments:
                records.extend(self._comments(submission, lo, hi))
        return records

    def refresh(self, post_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Current score, comment count and removal of posts/comments by fullname (t3_/t1_).

        One `/api/info` request per 100 ids (Reddit's cap). Ids Reddit no longer returns are
        left out: unknown is not the same as deleted.
        """
        ids = list(dict.fromkeys(i for i in post_ids if i))
        out: dict[str, dict[str, Any]] = {}
        for first in range(0, len(ids), INFO_BATCH):
            for thing in self._reddit.info(fullnames=ids[first : first + INFO_BATCH]):
                data = vars(thing)
                name = data.get("name")
                if name:
                    out[str(name)] = refreshed_state(data)
        return out

    def _comments(self, submission: Submission, lo: float, hi: float) -> list[RedditRecord]:
        submission.comment_limit = self.comments_per_post
        submission.comment_sort = COMMENT_SORT
        forest = submission.comments  # the one comments request for this post
        forest.replace_more(limit=0)
        kept = []
        for index in range(len(forest)):  # the forest's own items are the top-level comments
            comment = forest[index]
            created = _created(comment)
            if created is not None and lo <= created < hi:
                kept.append(_comment_record(comment))
        return kept


def _post_record(submission: Submission) -> RedditRecord:
    data = vars(submission)
    record: RedditRecord = {key: data.get(key) for key in POST_FIELDS}
    return _with_common(record, data)


def _comment_record(comment: Comment | MoreComments) -> RedditRecord:
    data = vars(comment)
    record: RedditRecord = {key: data.get(key) for key in COMMENT_FIELDS}
    return _with_common(record, data)


def _with_common(record: RedditRecord, data: dict[str, Any]) -> RedditRecord:
    subreddit = data.get("subreddit")
    record["subreddit"] = None if subreddit is None else str(subreddit)
    author = data.get("author")  # praw turns "[deleted]" into None, a name into a lazy Redditor
    record["author"] = DELETED if author is None else vars(author).get("name", str(author))
    for key in AUTHOR_FIELDS:
        if key in data:
            record[key] = data[key]
    return record


def _created(obj: Any) -> float | None:
    try:
        return float(vars(obj)["created_utc"])
    except (KeyError, TypeError, ValueError):
        return None


def _epoch(moment: datetime) -> float:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _as_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return bool(value)
