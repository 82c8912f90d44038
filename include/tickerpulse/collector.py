"""`tickerpulse collect`: a long-running poller that keeps every subreddit's listings within reach.

A listing reaches back ~1,000 items. At 1,000 comments a minute that is one minute, so a sweep
every 30 minutes sees 3% of a burst. The collector polls each subreddit's post and comment
listings often enough that each poll reaches back past the previous one, and lands what is new in
the lake as small JSON files, each written in one atomic call (tickerpulse.lake):

    landing/reddit/subreddit=<s>/dt=YYYY-MM-DD/hour=HH/<listing>-<covered_to ms>.json
        {"listing", "subreddit", "covered_from", "covered_to", "items", "requests", "gap",
         "records": [Reddit data dicts]}

Each file is also the proof of what its walk covered (`covered_from`..`covered_to`, see
tickerpulse.coverage), so extract can say exactly which seconds of an interval were seen. Empty
polls are landed too, for that reason.

Pace: after each poll the wait until the next is `safety * reach / rate` (the time the listing
takes to fill half its reach at the rate just observed), within the min/max poll settings; so it
speeds up in a burst. The longest wait (30 s by default) is what a burst that starts right after a
poll allows: at the design point of 1,000 a minute the reach fills in a minute. A quiet poll costs
one request, so that is ~2 requests a minute per listing. Requests go through the shared budget.

Checkpoints (`landing/reddit/_state/subreddit=<s>/listing=<l>.json`: the newest creation time
landed, the names at that second, and the end of the last covered span) are written after the
landing file, so a restart resumes from the last landed poll: the first walk stops where the last
one ended. A crash between the two writes lands some items twice; extract deduplicates by
fullname. When the downtime was longer than the reach, the first walk runs out of listing before
it reaches the checkpoint: that span is a gap, logged and written in the file's `gap`, and it
shows as uncovered in the interval's coverage.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from tickerpulse.config import Settings
from tickerpulse.coverage import COMMENTS, LISTINGS, POSTS, REACH_FLOOR, ListingWalk, walk_of
from tickerpulse.lake import Lake
from tickerpulse.sources.base import RedditRecord

log = logging.getLogger(__name__)

LANDING = "landing/reddit"
REACH = 1000  # items a listing reaches back
SAFETY = 0.5  # poll when half the reach has filled at the observed rate
HEARTBEAT = "collector.heartbeat"  # under TICKERPULSE_HOME


def landing_dir(subreddit: str, moment: float) -> str:
    at = datetime.fromtimestamp(moment, tz=UTC)
    return f"{LANDING}/subreddit={subreddit}/dt={at:%Y-%m-%d}/hour={at:%H}"


def state_path(subreddit: str, listing: str) -> str:
    return f"{LANDING}/_state/subreddit={subreddit}/listing={listing}.json"


@dataclass
class Checkpoint:
    newest: float  # creation time of the newest item landed
    names: list[str]  # fullnames created at `newest` (several items can share a second)
    covered_to: float  # where the last walk started: everything before it back to its start

    @classmethod
    def load(cls, lake: Lake, subreddit: str, listing: str) -> Checkpoint | None:
        rel = state_path(subreddit, listing)
        if not lake.exists(rel):
            return None
        data = json.loads(lake.read_bytes(rel))
        return cls(float(data["newest"]), list(data["names"]), float(data["covered_to"]))

    def save(self, lake: Lake, subreddit: str, listing: str) -> None:
        body = {"newest": self.newest, "names": self.names, "covered_to": self.covered_to}
        lake.write_bytes(state_path(subreddit, listing), json.dumps(body).encode())


@dataclass
class Poll:
    """One walk of one listing: what it landed and covered."""

    subreddit: str
    listing: str
    walk: ListingWalk
    landed: int
    gap: tuple[float, float] | None
    path: str


class ListingReader(Protocol):
    """What the collector needs from a Reddit source (PrawRedditSource, built by the factory)."""

    requests_sent: int

    def listing(
        self, subreddit: str, listing: str
    ) -> Iterator[tuple[float | None, str | None, RedditRecord]]: ...

    def listing_now(self) -> float: ...


@dataclass
class Collector:
    source: Any  # a ListingReader: the live source, from sources.factory
    lake: Lake
    subreddits: Sequence[str]
    min_poll: float = 5.0
    max_poll: float = 30.0
    clock: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep
    listings: Sequence[str] = LISTINGS
    rates: dict[tuple[str, str], float] = field(default_factory=dict)  # items a second, smoothed
    polls: int = 0
    heartbeat: Path | None = None  # touched after each poll: the container's health check

    def poll(self, subreddit: str, listing: str) -> Poll:
        reader: ListingReader = self.source
        cp = Checkpoint.load(self.lake, subreddit, listing)
        sent = reader.requests_sent
        started: float | None = None
        fresh: list[RedditRecord] = []
        seen, oldest, top, passed = 0, None, None, False
        newest, names_at_newest = (cp.newest, list(cp.names)) if cp else (None, [])
        for created, name, record in reader.listing(subreddit, listing):
            if started is None:
                started = reader.listing_now()
            if created is None:
                continue
            seen += 1
            oldest = created if oldest is None else min(oldest, created)
            top = created if top is None else max(top, created)
            if cp is not None and (created < cp.newest):
                passed = True
                break
            if cp is not None and created == cp.newest and name in cp.names:
                continue
            fresh.append(record)
            if newest is None or created > newest:
                newest, names_at_newest = created, [str(name)]
            elif created == newest and name not in names_at_newest:
                names_at_newest.append(str(name))
        if started is None:
            started = reader.listing_now()
        exhausted = not passed
        walk = walk_of(
            listing, started, oldest, seen, reader.requests_sent - sent, passed, exhausted, top
        )
        gap = None
        if cp is not None and not passed and seen >= REACH_FLOOR and oldest is not None:
            gap = (cp.covered_to, oldest)
            log.warning(
                "collect r/%s %s: down longer than the listing's reach; gap %s to %s (%.0f s)",
                subreddit,
                listing,
                datetime.fromtimestamp(gap[0], UTC),
                datetime.fromtimestamp(gap[1], UTC),
                gap[1] - gap[0],
            )
        body = {
            "subreddit": subreddit,
            "listing": listing,
            "covered_from": walk.covered_from,
            "covered_to": walk.covered_to,
            "items": walk.items,
            "requests": walk.requests,
            "gap": list(gap) if gap else None,
            "records": fresh,
        }
        # Named by when the walk started, plus a random part: two polls in one second (a restart)
        # must not overwrite each other.
        name = f"{listing}-{round(started * 1000)}-{uuid.uuid4().hex[:8]}.json"
        rel = f"{landing_dir(subreddit, walk.covered_to)}/{name}"
        self.lake.write_bytes(rel, json.dumps(body, default=str).encode())
        if newest is not None:
            Checkpoint(newest, names_at_newest, walk.covered_to).save(self.lake, subreddit, listing)
        self._observe(subreddit, listing, walk)
        self.polls += 1
        return Poll(subreddit, listing, walk, len(fresh), gap, rel)

    def _observe(self, subreddit: str, listing: str, walk: ListingWalk) -> None:
        if walk.covered_from <= 0 or walk.span <= 0:
            return
        rate = walk.items / walk.span
        key = (subreddit, listing)
        previous = self.rates.get(key)
        # quick to rise (a burst must not outrun the reach), slower to fall
        self.rates[key] = rate if previous is None or rate > previous else 0.5 * (rate + previous)

    def wait_for(self, subreddit: str, listing: str) -> float:
        rate = self.rates.get((subreddit, listing))
        if not rate:
            return self.min_poll
        return min(self.max_poll, max(self.min_poll, SAFETY * REACH / rate))

    def run(
        self,
        until: float | None = None,
        stop: threading.Event | None = None,
        sleep_until_stop: bool = False,
    ) -> int:
        """Poll every listing when due until `until` (the clock's time) or `stop`; polls back.
        With `sleep_until_stop` (the CLI) waits are cut short when `stop` is set."""
        if sleep_until_stop and stop is not None:
            event = stop

            def wake_on_stop(seconds: float) -> None:
                event.wait(seconds)

            self.sleep = wake_on_stop
        due = {(s, listing): self.clock() for s in self.subreddits for listing in self.listings}
        while True:
            key, when = min(due.items(), key=lambda item: item[1])
            if until is not None and when >= until:
                return self.polls
            now = self.clock()
            if when > now:
                if until is not None and until <= now:
                    return self.polls
                self.sleep(when - now)
            if stop is not None and stop.is_set():
                return self.polls
            self.poll(*key)
            due[key] = self.clock() + self.wait_for(*key)
            if self.heartbeat is not None:
                self.heartbeat.parent.mkdir(parents=True, exist_ok=True)
                self.heartbeat.touch()


def collector_from_settings(settings: Settings, subreddits: Sequence[str]) -> Collector:
    """The collector of `tickerpulse collect`: the live source (with the shared request budget)
    and the lake of the settings."""
    from tickerpulse.sources.factory import reddit_source

    return Collector(
        reddit_source(settings),
        Lake(settings.lake_url),
        list(subreddits),
        min_poll=settings.collect_min_poll_seconds,
        max_poll=settings.collect_max_poll_seconds,
        heartbeat=settings.home / HEARTBEAT,
    )


def landed(lake: Lake, subreddit: str, lo: float, hi: float) -> Iterator[dict[str, Any]]:
    """The landing files that may hold items created in `[lo, hi)`: those written from `lo`
    until two hours after `hi` (a walk after a restart reaches back at most one listing)."""
    hour = datetime.fromtimestamp(lo, UTC).replace(minute=0, second=0, microsecond=0)
    last = datetime.fromtimestamp(hi, UTC) + timedelta(hours=2)
    while hour <= last:
        for url in lake.list(landing_dir(subreddit, hour.timestamp())):
            doc = json.loads(lake.read_bytes(url))
            if float(doc["covered_to"]) >= lo and float(doc["covered_from"]) < hi:
                yield doc
        hour += timedelta(hours=1)


def landed_walks(docs: Iterable[dict[str, Any]]) -> list[ListingWalk]:
    return [
        ListingWalk(
            str(d["listing"]),
            float(d["covered_from"]),
            float(d["covered_to"]),
            int(d["items"]),
            int(d["requests"]),
        )
        for d in docs
    ]


__all__ = ["COMMENTS", "POSTS", "Checkpoint", "Collector", "Poll", "landed", "landed_walks"]
