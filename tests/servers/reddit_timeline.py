"""Generated Reddit timelines for the loopback server: posts and comments at a chosen rate.

Shaped like the measured r/wallstreetbets sample (../shared/NOTES.md): about half the comments go
to one discussion thread opened hours before, about 63% are replies, the rest are top-level on
recent posts. Deterministic for a seed, so a test's expectations are exact. `TimelineClock` is the
clock the server shows the timeline on: real time scaled by `speed`, or set by hand (`speed=0`).
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field
from typing import Any

ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"


def base36(number: int) -> str:
    out = ""
    while True:
        number, digit = divmod(number, 36)
        out = ALPHABET[digit] + out
        if not number:
            return out


@dataclass
class TimelineClock:
    """Timeline epoch seconds: `start` at creation, running `speed` times real time.

    With `speed=0` it only moves when a test calls `set` or `advance`."""

    start: float
    speed: float = 1.0
    _origin: float = field(default_factory=time.monotonic)
    _offset: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self) -> float:
        with self._lock:
            return self.start + self._offset + (time.monotonic() - self._origin) * self.speed

    def set(self, epoch: float) -> None:
        with self._lock:
            elapsed = (time.monotonic() - self._origin) * self.speed
            self._offset = epoch - self.start - elapsed

    def advance(self, seconds: float) -> None:
        self.set(self() + seconds)

    def freeze(self) -> None:
        """Stop the clock where it is; from now on only `set` and `advance` move it."""
        now = self()
        with self._lock:
            self.speed, self._origin, self._offset = 0.0, time.monotonic(), now - self.start

    def real_seconds(self, timeline_seconds: float) -> float:
        """How long a wait of `timeline_seconds` lasts in real time (0 for a hand-set clock)."""
        return timeline_seconds / self.speed if self.speed > 0 else 0.0


@dataclass(frozen=True)
class Burst:
    """A stretch of the timeline with its own comment rate (per minute)."""

    start: float
    end: float
    comments_per_minute: float


def generate(
    subreddit: str,
    start: float,
    end: float,
    comments_per_minute: float,
    posts_per_minute: float = 1.0,
    bursts: tuple[Burst, ...] = (),
    seed: int = 0,
    id_base: int = 36**5,
) -> list[dict[str, Any]]:
    """Records created in `[start, end)`: posts and comments as Reddit `data` dicts.

    Arrivals are a Poisson process per second at the rate in force (a burst wins), so counts
    vary like real traffic. One discussion thread is created 3 hours before `start`."""
    rng = random.Random(seed)
    counter = iter(range(id_base, id_base + 10**9))
    records: list[dict[str, Any]] = []

    def new_post(at: float, title: str) -> dict[str, Any]:
        pid = base36(next(counter))
        rec = {
            "id": pid,
            "name": f"t3_{pid}",
            "subreddit": subreddit,
            "author": f"poster_{rng.randrange(5000)}",
            "title": title,
            "selftext": f"What do you think about ${rng.choice(TICKERS)}?",
            "created_utc": round(at, 3),
            "score": rng.randrange(1, 200),
            "num_comments": 0,
            "permalink": f"/r/{subreddit}/comments/{pid}/x/",
        }
        records.append(rec)
        return rec

    daily = new_post(start - 3 * 3600, "Daily Discussion Thread")
    recent: list[dict[str, Any]] = []
    comments_by_thread: dict[str, list[str]] = {}
    second = start
    while second < end:
        rate = comments_per_minute
        for burst in bursts:
            if burst.start <= second < burst.end:
                rate = burst.comments_per_minute
        for _ in range(_poisson(rng, posts_per_minute / 60)):
            recent.append(new_post(second + rng.random(), f"${rng.choice(TICKERS)} thoughts"))
            recent = recent[-30:]
        for _ in range(_poisson(rng, rate / 60)):
            at = second + rng.random()
            thread = daily if rng.random() < 0.5 or not recent else rng.choice(recent)
            siblings = comments_by_thread.setdefault(thread["name"], [])
            parent = thread["name"]
            if siblings and rng.random() < 0.63:
                parent = rng.choice(siblings[-50:])
            cid = base36(next(counter))
            records.append(
                {
                    "id": cid,
                    "name": f"t1_{cid}",
                    "subreddit": subreddit,
                    "author": f"user_{rng.randrange(20000)}",
                    "body": f"{rng.choice(PHRASES)} ${rng.choice(TICKERS)}",
                    "link_id": thread["name"],
                    "parent_id": parent,
                    "created_utc": round(at, 3),
                    "score": rng.randrange(-5, 50),
                    "permalink": f"/r/{subreddit}/comments/{thread['id']}/x/{cid}/",
                }
            )
            siblings.append(f"t1_{cid}")
        second += 1
    return records


def _poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw by inversion (means here are small: < 20 per second)."""
    if mean <= 0:
        return 0
    threshold, count, product = pow(2.718281828459045, -mean), 0, rng.random()
    while product > threshold:
        count += 1
        product *= rng.random()
    return count


TICKERS = ("GME", "AMC", "TSLA", "NVDA", "AAPL", "PLTR", "AMD", "SPY", "BB", "MSFT")
PHRASES = ("to the moon", "bought more", "puts on", "calls on", "bag holding", "sold my")
