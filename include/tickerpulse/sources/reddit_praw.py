"""Live Reddit through praw, with OAuth client credentials (read-only, no user login).

Two listings per subreddit: posts from `/r/<sub>/new` and every comment, replies included and
whatever thread it belongs to, from the subreddit-wide `/r/<sub>/comments` (praw's
`subreddit.comments`). Both are newest first, 100 per page, so each walk pages with `after` and
stops at the first item older than the window. A listing reaches back only about 1,000 items: a
walk that runs out of listing before it passes the window start has not seen the start, and says
so in its `ListingWalk` (tickerpulse.coverage), from which extract records the interval's
coverage. Records are read from what the listing already returned (`vars(obj)`), never through
praw's lazy attributes, which would cost one HTTP request per item or author.

Faults: every HTTP call goes through `RetryingRequestor` (praw's documented `requestor_class`
hook), which retries 429s (waiting as long as Reddit's `Retry-After`/`x-ratelimit-reset` says),
5xx, timeouts, dropped connections and malformed bodies (invalid JSON, or a Listing without
`data.children`) a bounded number of times with exponential backoff. It sits under prawcore, so
one fault costs one re-sent request, not a re-walk of the listing. When the budget is spent it
raises `RedditUnavailable`, which fails the task before anything of that subreddit is written.
prawcore's own retries (two, on 5xx and connection errors, with 0-4 s random sleeps) are bypassed
because this layer answers first; its timeout (16 s, per request) is replaced by ours.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import praw
import prawcore
import requests
from praw.models import Comment, MoreComments, Submission

from tickerpulse.coverage import COMMENTS, POSTS, ListingWalk, walk_of
from tickerpulse.retry import retry_after_s
from tickerpulse.sources.base import RedditRecord, Sweep, refreshed_state

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
INFO_BATCH = 100  # ids per /api/info request, Reddit's maximum
# Statuses worth sending again: rate limited, request timeout, and the server-side failures.
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504, 520, 522})
RETRY_EXCEPTIONS = (
    requests.exceptions.ConnectionError,
    requests.exceptions.Timeout,
    requests.exceptions.ChunkedEncodingError,
)


class RedditUnavailable(RuntimeError):
    """Reddit kept failing (or asked us to wait too long): the task fails and Airflow retries."""


@dataclass(frozen=True)
class RetryPolicy:
    """How hard one HTTP call to Reddit is tried. The defaults suit the real API; tests shrink
    the waits so a fault costs milliseconds."""

    attempts: int = 5  # tries per request, the first included
    backoff_seconds: float = 1.0  # wait after the first failure, doubled per further failure
    max_backoff_seconds: float = 30.0
    max_wait_seconds: float = 120.0  # a rate-limit reset longer than this fails the task instead
    timeout_seconds: float = 16.0  # per request (connect and each read)

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("retry attempts must be at least 1 (the first try)")

    def backoff(self, failures: int) -> float:
        return float(min(self.max_backoff_seconds, self.backoff_seconds * 2 ** (failures - 1)))


class RetryingRequestor(prawcore.Requestor):
    """A prawcore Requestor that retries transient faults itself; see the module docstring."""

    def __init__(
        self,
        *,
        policy: RetryPolicy | None = None,
        before_request: Callable[[bool], object] | None = None,
        **kwargs: Any,
    ) -> None:
        self.policy = policy or RetryPolicy()
        self.before_request = before_request  # the shared request budget, when there is one
        self.sent = 0  # HTTP requests sent, every try counted: what Reddit's limit counts
        self.server_now: float | None = None  # the Date of the last answer: Reddit's clock
        super().__init__(timeout=self.policy.timeout_seconds, **kwargs)

    def request(self, *args: Any, timeout: float | None = None, **kwargs: Any) -> Any:
        what = _describe(args)
        for attempt in range(1, self.policy.attempts + 1):
            if self.before_request is not None:
                self.before_request(attempt > 1)  # the budget: a retry may use the headroom
            self.sent += 1
            try:
                response = super().request(*args, timeout=self.policy.timeout_seconds, **kwargs)
            except prawcore.RequestException as exc:
                if not isinstance(exc.original_exception, RETRY_EXCEPTIONS):
                    raise
                problem = f"{type(exc.original_exception).__name__}: {exc.original_exception}"
                wait = self.policy.backoff(attempt)
            else:
                self.server_now = _http_date(response) or self.server_now
                found, wait = _problem(response, self.policy.backoff(attempt))
                if found is None:
                    return response
                problem = found
            if attempt == self.policy.attempts:
                raise RedditUnavailable(
                    f"Reddit {what} failed {attempt} times in a row; last: {problem}"
                )
            if wait > self.policy.max_wait_seconds:
                raise RedditUnavailable(
                    f"Reddit {what}: {problem}; asked to wait {wait:.0f} s, more than the "
                    f"{self.policy.max_wait_seconds:.0f} s this task may wait"
                )
            log.warning(
                "Reddit %s: %s (attempt %d of %d); retrying in %.2f s",
                what,
                problem,
                attempt,
                self.policy.attempts,
                wait,
            )
            time.sleep(wait)
        raise AssertionError("unreachable")  # the loop returns or raises


def _http_date(response: requests.Response) -> float | None:
    try:
        return parsedate_to_datetime(response.headers["Date"]).timestamp()
    except (KeyError, TypeError, ValueError, IndexError):
        return None


def _describe(args: tuple[Any, ...]) -> str:
    method = str(args[0]).upper() if args else "?"
    path = urlsplit(str(args[1])).path if len(args) > 1 else "?"
    return f"{method} {path}"


def _problem(response: requests.Response, backoff: float) -> tuple[str | None, float]:
    """(what is wrong with this response, how long to wait before the next try), or (None, 0)."""
    status = response.status_code
    if status == 429:
        waits = [backoff, retry_after_s(response.headers) or 0.0]
        try:
            waits.append(float(response.headers.get("x-ratelimit-reset", "")))
        except ValueError:
            pass
        return f"HTTP 429 (rate limited, {response.headers.get('x-ratelimit-used')} used)", max(
            waits
        )
    if status in RETRY_STATUSES:
        return f"HTTP {status}", backoff
    if status != 200 or "json" not in response.headers.get("content-type", ""):
        return None, 0.0  # not ours to judge: prawcore raises its own errors for these
    try:
        payload = json.loads(response.content)
    except ValueError as exc:
        return f"malformed JSON body ({exc})", backoff
    listings = payload if isinstance(payload, list) else [payload]
    for listing in listings:
        if isinstance(listing, dict) and listing.get("kind") == "Listing":
            data = listing.get("data")
            if not isinstance(data, dict) or not isinstance(data.get("children"), list):
                return "malformed listing (no data.children)", backoff
    return None, 0.0


class PrawRedditSource:
    """Posts and comments created in `[start, end)`, as Reddit `data` dicts."""

    name = "praw"

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        user_agent: str,
        oauth_url: str | None = None,
        reddit_url: str | None = None,
        include_comments: bool = True,
        retry: RetryPolicy | None = None,
        clock: Callable[[], float] = time.time,
        before_request: Callable[[bool], object] | None = None,
    ) -> None:
        urls: dict[str, Any] = {"oauth_url": oauth_url, "reddit_url": reddit_url}
        self._reddit = praw.Reddit(
            client_id=client_id,
            client_secret=client_secret,
            user_agent=user_agent,
            check_for_updates=False,
            requestor_class=RetryingRequestor,
            requestor_kwargs={"policy": retry or RetryPolicy(), "before_request": before_request},
            **{key: value for key, value in urls.items() if value},
        )
        self._reddit.read_only = True
        self.include_comments = include_comments
        self.clock = clock  # "now" when Reddit's answer has no Date header
        # praw builds the requestor itself; its one instance is reachable through the session.
        requestor = self._reddit._core._authorizer._authenticator._requestor  # type: ignore[attr-defined]
        self.requestor: RetryingRequestor = requestor

    @property
    def requests_sent(self) -> int:
        """HTTP requests sent so far (token grant and retries included)."""
        return self.requestor.sent

    @classmethod
    def from_connection(
        cls, conn: dict[str, Any], before_request: Callable[[bool], object] | None = None
    ) -> PrawRedditSource:
        """Build from an Airflow connection as a plain dict (login=client_id, password=secret);
        `before_request` is the shared request budget's `take`."""
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
            retry=_retry_policy(extra),
            before_request=before_request,
        )

    def fetch(
        self, subreddit: str, start: datetime, end: datetime, limit: int
    ) -> list[RedditRecord]:
        return self.sweep(subreddit, start, end, limit).records

    def sweep(self, subreddit: str, start: datetime, end: datetime, limit: int) -> Sweep:
        """Posts (at most `limit`) and every comment created in `[start, end)`, with the walks
        that read them: what extract needs to record the interval's coverage."""
        lo, hi = _epoch(start), _epoch(end)
        sub = self._reddit.subreddit(subreddit)
        posts, walk = self.walk(POSTS, sub.new(limit=limit), lo, hi, limit)
        records, walks = [_post_record(p) for p in posts], [walk]
        if self.include_comments:
            comments, walk = self.walk(COMMENTS, sub.comments(limit=None), lo, hi, None)
            records.extend(_comment_record(c) for c in comments)
            walks.append(walk)
        return Sweep(records, walks)

    def walk(
        self, listing: str, things: Iterable[Any], lo: float, hi: float, limit: int | None
    ) -> tuple[list[Any], ListingWalk]:
        """The things of a newest-first listing created in `[lo, hi)`, and what the walk covered.

        Stops at the first thing older than `lo`; the listing's end or `limit` stop it earlier.
        The walk covers up to the moment of its first page by Reddit's clock (the answer's Date,
        floored to the second), so a sweep long after the window still measures honestly."""
        sent = self.requests_sent
        started: float | None = None
        kept: list[Any] = []
        seen, oldest, newest, passed = 0, None, None, False
        for thing in things:
            if started is None:
                started = self.listing_now()
            created = _created(thing)
            if created is None:
                log.warning("%s: %s has no usable created_utc; skipped", listing, thing)
                continue
            seen += 1
            oldest = created if oldest is None else min(oldest, created)
            newest = created if newest is None else max(newest, created)
            if created < lo:
                passed = True  # newest first: everything after this is older still
                break
            if created < hi:
                kept.append(thing)
        if started is None:  # an empty listing: its one page answered last
            started = self.listing_now()
        exhausted = not passed and (limit is None or seen < limit)
        walk = walk_of(
            listing, started, oldest, seen, self.requests_sent - sent, passed, exhausted, newest
        )
        if not passed:
            log.warning(
                "%s walk ended before the window start (%d items back to %s): %s",
                listing,
                seen,
                oldest,
                "listing reach" if exhausted else f"limit {limit}",
            )
        return kept, walk

    def listing_now(self) -> float:
        """Reddit's now, from the Date of its last answer (this process's clock without one)."""
        return self.requestor.server_now or self.clock()

    def listing(
        self, subreddit: str, listing: str
    ) -> Iterator[tuple[float | None, str | None, RedditRecord]]:
        """The whole listing (POSTS: /new, COMMENTS: /comments), newest first, as
        (created_utc, fullname, record): what the collector walks to its checkpoint."""
        sub = self._reddit.subreddit(subreddit)
        things = sub.new(limit=None) if listing == POSTS else sub.comments(limit=None)
        to_record = _post_record if listing == POSTS else _comment_record
        for thing in things:
            name = vars(thing).get("name")
            yield _created(thing), None if name is None else str(name), to_record(thing)

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


def _retry_policy(extra: dict[str, Any]) -> RetryPolicy:
    """Connection extra keys `timeout`, `retry_attempts`, `retry_backoff`, `retry_max_wait`."""
    default = RetryPolicy()
    return RetryPolicy(
        attempts=int(extra.get("retry_attempts", default.attempts)),
        backoff_seconds=float(extra.get("retry_backoff", default.backoff_seconds)),
        max_backoff_seconds=float(extra.get("retry_max_backoff", default.max_backoff_seconds)),
        max_wait_seconds=float(extra.get("retry_max_wait", default.max_wait_seconds)),
        timeout_seconds=float(extra.get("timeout", default.timeout_seconds)),
    )


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
