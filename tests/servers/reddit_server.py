"""A loopback server that speaks Reddit's OAuth API as praw uses it.

Endpoints: `POST /api/v1/access_token` (client-credentials grant), `GET /r/<sub>/new` (a Listing
of t3 things, newest first, with `limit` capped at 100, `after`/`before` paging and Reddit's
1,000-item reach), `GET /r/<sub>/comments` (the subreddit-wide comment listing: every t1 thing of
the subreddit, replies included, whatever thread, newest first, same paging and reach),
`GET /api/info?id=<fullname>,...` (the things by fullname, at most 100, as praw's
`reddit.info(fullnames=...)` asks; tests may change `score` or mark a record removed between
calls), and `GET /comments/<id>` (the [post listing, comment listing] pair, with a
`more` stub when the post has more top-level comments than `limit`). Text fields are HTML-escaped
unless `raw_json=1`, as Reddit does. Every API call needs the bearer token it handed out.

Timeline mode (`clock=`, e.g. a `TimelineClock` that runs faster than real time): listings and
`/api/info` show only what has been created by the clock's "now", so the reach of a listing moves
with time as on Reddit. `requests_per_minute` limits API calls per client (a sliding window of
`rate_window_seconds` real seconds, shortened for compressed timelines) and answers the excess
with 429, `Retry-After` and `x-ratelimit-*` headers, as Reddit does.

Faults, for the fault-injection tests and the soak: each API call (the token grant excepted) takes
the next queued fault (`fail_next`) or else a random one (`set_chaos(rate, ALL_FAULT_KINDS)`).
`http_429` carries Reddit's `x-ratelimit-*` headers and `Retry-After`; `timeout` stalls for
`stall_seconds` before answering, longer than a test client's timeout; `malformed_json` sends
half of the real body; `malformed_listing` sends valid JSON whose Listings lack `data.children`.
"""

from __future__ import annotations

import base64
import bisect
import copy
import html
import json
import math
import re
import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

from tests.servers import LoopbackServer, RecordedRequest, Reply

TOKEN = "test-bearer-token"
LISTING_REACH = 1000
PAGE_MAX = 100
TEXT_FIELDS = ("title", "selftext", "body")

HTTP_429 = "http_429"
HTTP_500 = "http_500"
HTTP_503 = "http_503"
TIMEOUT = "timeout"
MALFORMED_JSON = "malformed_json"
MALFORMED_LISTING = "malformed_listing"
ALL_FAULT_KINDS = (HTTP_429, HTTP_500, HTTP_503, TIMEOUT, MALFORMED_JSON, MALFORMED_LISTING)

_NEW_PATH = re.compile(r"^/r/(?P<sub>[^/]+)/new/?$")
_SUB_COMMENTS_PATH = re.compile(r"^/r/(?P<sub>[^/]+)/comments/?$")
_COMMENTS_PATH = re.compile(r"^/comments/(?P<id>[A-Za-z0-9_]+)(?:/[^/]*)?/?$")


class RedditServer(LoopbackServer):
    """Fed Reddit records (the `data` dicts of t3 posts and t1 comments) at construction."""

    def __init__(
        self,
        records: Iterable[dict[str, Any]],
        client_id: str = "test-client",
        client_secret: str = "test-secret",
        clock: Callable[[], float] | None = None,
        requests_per_minute: int | None = None,
        rate_window_seconds: float = 60.0,
    ) -> None:
        super().__init__()
        self.clock = clock
        self.requests_per_minute = requests_per_minute
        self.rate_window_seconds = rate_window_seconds
        self.rate_limited = 0  # 429s answered because the client went over requests_per_minute
        self._calls: deque[float] = deque()  # real times of the API calls in the rate window
        self.client_id = client_id
        self.client_secret = client_secret
        self.posts: list[dict[str, Any]] = []
        self.comments: dict[str, list[dict[str, Any]]] = {}  # link_id -> comments
        for record in records:
            if str(record.get("name", "")).startswith("t1_"):
                self.comments.setdefault(record["link_id"], []).append(record)
            else:
                self.posts.append(record)
        self.posts.sort(key=lambda r: float(r["created_utc"]), reverse=True)
        # Per (kind, subreddit): records oldest first, their creation times, name -> position.
        self._index: dict[tuple[str, str], _Listing] = {}
        by_key: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for post in self.posts:
            by_key.setdefault(("t3", str(post["subreddit"]).lower()), []).append(post)
        for comments in self.comments.values():
            for c in comments:
                by_key.setdefault(("t1", str(c["subreddit"]).lower()), []).append(c)
        for key, items in by_key.items():
            self._index[key] = _Listing(items)
        # Fault knobs: how long a `timeout` stalls, and the reset a 429 announces (Reddit's is the
        # seconds left in its 600 s window; a test wants it short).
        self.stall_seconds = 2.0
        self.ratelimit_reset_seconds = 1
        self._fault_queue: deque[tuple[str, str]] = deque()

    # -- faults ---------------------------------------------------------------------------------
    def fail_next(self, kind: str, times: int = 1, path_prefix: str = "/") -> None:
        """Answer the next `times` API calls under `path_prefix` with fault `kind`."""
        if kind not in ALL_FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}; one of {ALL_FAULT_KINDS}")
        with self._lock:
            self._fault_queue.extend([(kind, path_prefix)] * times)

    def _queued_fault(self, path: str) -> str | None:
        with self._lock:
            for index, (kind, prefix) in enumerate(self._fault_queue):
                if path.startswith(prefix):
                    del self._fault_queue[index]
                    self.faults_injected[kind] += 1
                    return kind
        return None

    def _faulty(self, kind: str, request: RecordedRequest) -> Reply:
        if kind == HTTP_429:
            reset = str(self.ratelimit_reset_seconds)
            headers = {
                "x-ratelimit-remaining": "0",
                "x-ratelimit-used": "600",
                "x-ratelimit-reset": reset,
                "Retry-After": reset,
            }
            return Reply.json({"message": "Too Many Requests", "error": 429}, 429, headers)
        if kind in (HTTP_500, HTTP_503):
            status = int(kind.removeprefix("http_"))
            return Reply.json({"message": "Server Error", "error": status}, status=status)
        if kind == TIMEOUT:
            time.sleep(self.stall_seconds)  # the client has given up by now
            return self._route(request)
        reply = self._route(request)
        if kind == MALFORMED_JSON:
            reply.body = reply.body[: len(reply.body) // 2]
            return reply
        if kind == MALFORMED_LISTING:
            payload = json.loads(reply.body)
            for listing in payload if isinstance(payload, list) else [payload]:
                if isinstance(listing, dict) and isinstance(listing.get("data"), dict):
                    listing["data"].pop("children", None)
            return Reply.json(payload)
        raise ValueError(f"unknown fault {kind!r}")

    def connection(self, **extra: Any) -> str:
        """The `reddit_default` Airflow connection (AIRFLOW_CONN_REDDIT_DEFAULT JSON) for praw
        pointed at this server; `extra` adds or overrides connection-extra keys."""
        return json.dumps(
            {
                "conn_type": "generic",
                "login": self.client_id,
                "password": self.client_secret,
                "extra": {
                    "user_agent": "tickerpulse-test",
                    "oauth_url": self.url,
                    "reddit_url": self.url,
                    **extra,
                },
            }
        )

    # -- dispatch -------------------------------------------------------------------------------
    def handle(self, request: RecordedRequest) -> Reply:
        if request.path == "/api/v1/access_token" and request.method == "POST":
            return self._access_token(request)
        if request.headers.get("authorization", "").lower() != f"bearer {TOKEN}":
            return Reply.json({"message": "Unauthorized", "error": 401}, status=401)
        if (limited := self._over_rate_limit()) is not None:
            return limited
        kind = self._queued_fault(request.path) or self.chaos_kind()
        if kind is not None:
            return self._faulty(kind, request)
        return self._route(request)

    def _over_rate_limit(self) -> Reply | None:
        """Reddit's per-client limit: a 429 saying when the window frees up, or None."""
        if self.requests_per_minute is None:
            return None
        now = time.monotonic()
        with self._lock:
            while self._calls and self._calls[0] <= now - self.rate_window_seconds:
                self._calls.popleft()
            if len(self._calls) < self.requests_per_minute:
                self._calls.append(now)
                return None
            self.rate_limited += 1
            reset = self._calls[0] + self.rate_window_seconds - now
        wait = str(max(1, math.ceil(reset)))
        headers = {
            "x-ratelimit-remaining": "0",
            "x-ratelimit-used": str(self.requests_per_minute),
            "x-ratelimit-reset": wait,
            "Retry-After": wait,
        }
        return Reply.json({"message": "Too Many Requests", "error": 429}, 429, headers)

    def http_now(self) -> float | None:
        return self.clock() if self.clock is not None else None

    def now(self) -> float:
        """The timeline's now (epoch seconds); without a clock everything has happened."""
        return self.clock() if self.clock is not None else math.inf

    def _route(self, request: RecordedRequest) -> Reply:
        if request.path.rstrip("/") == "/api/info":
            return self._info(request)
        if match := _NEW_PATH.match(request.path):
            return self._page(request, "t3", match["sub"])
        if match := _SUB_COMMENTS_PATH.match(request.path):
            return self._page(request, "t1", match["sub"])
        if match := _COMMENTS_PATH.match(request.path):
            return self._comments(request, match["id"])
        return Reply.json({"message": "Not Found", "error": 404}, status=404)

    def _access_token(self, request: RecordedRequest) -> Reply:
        expected = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        form = parse_qs(request.body.decode())
        if request.headers.get("authorization") != f"Basic {expected}":
            return Reply.json({"message": "Unauthorized", "error": 401}, status=401)
        if form.get("grant_type") != ["client_credentials"]:
            return Reply.json({"error": "unsupported_grant_type"}, status=400)
        return Reply.json(
            {"access_token": TOKEN, "token_type": "bearer", "expires_in": 86400, "scope": "*"}
        )

    def _page(self, request: RecordedRequest, kind: str, subreddit: str) -> Reply:
        """One page of a subreddit listing (`new` posts or `comments`), newest first."""
        listing = self._index.get((kind, subreddit.lower())) or _Listing([])
        page, after, before = listing.page(
            self.now(),
            max(1, min(int(request.param("limit") or 25), PAGE_MAX)),
            request.param("after"),
            request.param("before"),
        )
        raw = request.param("raw_json") == "1"
        return Reply.json(_listing([_thing(kind, r, raw) for r in page], after, before))

    def _info(self, request: RecordedRequest) -> Reply:
        names = [n for n in (request.param("id") or "").split(",") if n]
        if len(names) > PAGE_MAX:
            return Reply.json({"message": "Bad Request", "error": 400}, status=400)
        by_name = {p["name"]: ("t3", p) for p in self.posts}
        for comments in self.comments.values():
            by_name.update({c["name"]: ("t1", c) for c in comments})
        raw = request.param("raw_json") == "1"
        now = self.now()
        things = [
            _thing(*by_name[n], raw)
            for n in names
            if n in by_name and float(by_name[n][1]["created_utc"]) <= now
        ]
        return Reply.json(_listing(things))

    def _comments(self, request: RecordedRequest, post_id: str) -> Reply:
        post = next((p for p in self.posts if p["id"] == post_id), None)
        if post is None:
            return Reply.json({"message": "Not Found", "error": 404}, status=404)
        raw = request.param("raw_json") == "1"
        limit = int(request.param("limit") or 200)
        sort = request.param("sort") or "confidence"
        top_level = [
            c for c in self.comments.get(post["name"], []) if c["parent_id"] == post["name"]
        ]
        if sort == "new":
            top_level.sort(key=lambda c: float(c["created_utc"]), reverse=True)
        else:
            top_level.sort(key=lambda c: int(c.get("score") or 0), reverse=True)
        shown, hidden = top_level[:limit], top_level[limit:]
        children = [self._comment_thing(c, 0, raw) for c in shown]
        if hidden:
            children.append(
                {
                    "kind": "more",
                    "data": {
                        "count": len(hidden),
                        "name": "t1__",
                        "id": "_",
                        "parent_id": post["name"],
                        "depth": 0,
                        "children": [c["id"] for c in hidden],
                    },
                }
            )
        return Reply.json([_listing([_thing("t3", post, raw)]), _listing(children)])

    def _comment_thing(self, comment: dict[str, Any], depth: int, raw: bool) -> dict[str, Any]:
        replies = [
            self._comment_thing(c, depth + 1, raw)
            for c in self.comments.get(comment["link_id"], [])
            if c["parent_id"] == comment["name"]
        ]
        data = {**comment, "depth": depth, "replies": _listing(replies) if replies else ""}
        return _thing("t1", data, raw)


class _Listing:
    """One subreddit listing: its records oldest first, paged newest first within the reach."""

    def __init__(self, items: list[dict[str, Any]]) -> None:
        self.items = sorted(items, key=lambda r: (float(r["created_utc"]), str(r["name"])))
        self.created = [float(r["created_utc"]) for r in self.items]
        self.position = {str(r["name"]): i for i, r in enumerate(self.items)}

    def page(
        self, now: float, limit: int, after: str | None, before: str | None
    ) -> tuple[list[dict[str, Any]], str | None, str | None]:
        """(records newest first, the `after` cursor, the `before` cursor) at time `now`."""
        visible = bisect.bisect_right(self.created, now)  # what has happened by now
        reach = max(0, visible - LISTING_REACH)  # the oldest position a listing still shows
        if after:
            top = self.position.get(after, reach)  # a cursor out of reach gives an empty page
            top = top if reach <= top < visible else reach
            bottom = max(reach, top - limit)
        elif before:  # the `limit` items just newer than `before`
            bottom = self.position.get(before, visible - 1) + 1
            top = min(visible, bottom + limit)
        else:
            top = visible
            bottom = max(reach, top - limit)
        page = self.items[bottom:top][::-1]
        has_more = bool(page) and bottom > reach
        newer = bool(page) and top < visible
        return (
            page,
            str(page[-1]["name"]) if has_more else None,
            str(page[0]["name"]) if newer else None,
        )


def _thing(kind: str, data: dict[str, Any], raw_json: bool) -> dict[str, Any]:
    data = copy.deepcopy(data)
    if not raw_json:
        for name in TEXT_FIELDS:
            if isinstance(data.get(name), str):
                data[name] = html.escape(data[name], quote=False)
    return {"kind": kind, "data": data}


def _listing(
    children: list[dict[str, Any]], after: str | None = None, before: str | None = None
) -> dict[str, Any]:
    return {
        "kind": "Listing",
        "data": {
            "after": after,
            "before": before,
            "dist": len(children),
            "modhash": None,
            "geo_filter": "",
            "children": children,
        },
    }
