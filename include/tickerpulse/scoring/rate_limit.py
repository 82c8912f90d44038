"""A client-side limiter for requests/min and tokens/min, shared by all concurrent senders.

Reacting to 429s alone wastes calls and, with many senders, makes them retry in waves. So every
request first takes its cost from two token buckets (requests, and tokens = estimated input +
max_tokens, which is what the provider counts against the limit when the request arrives), each
refilled continuously at limit/period, the way OpenAI describes its limits ("continuously
replenished"). The buckets start from the connection's `rpm`/`tpm` when given and follow the
server's `x-ratelimit-*` headers from then on: the limit headers set the capacity, the remaining
headers pull the level down when the server has seen more use than this client (another worker on
the same key). With no limits configured and none heard yet, only one request goes out until the
first answer tells the limits, so a new key does not open with a burst of 429s.

A 429 pauses every sender until its Retry-After (or `retry-after-ms`) has passed; without one, until
the exhausted limit's `x-ratelimit-reset-*` time. The limiter keeps no asyncio objects across calls
(only numbers and a thread lock), so one instance serves successive `asyncio.run` loops.
"""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
_MIN_SLEEP_S = 0.001
_PROBE_POLL_S = 0.01
HEADROOM_S = 0.25  # longest expected delay between sending a request and the server counting it


def parse_duration(text: str | None) -> float | None:
    """Seconds in an OpenAI reset duration: "6ms", "120ms", "2.5s", "1m30s", "1h2m3s", or "7"."""
    if text is None:
        return None
    raw = text.strip().lower()
    if not raw:
        return None
    try:
        return max(0.0, float(raw))  # a bare number is seconds
    except ValueError:
        pass
    total, pos = 0.0, 0
    for match in _DURATION_PART.finditer(raw):
        if match.start() != pos:
            return None
        number, unit = float(match[1]), match[2]
        total += number * {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}[unit]
        pos = match.end()
    return total if pos == len(raw) and pos > 0 else None


def _int_header(headers: Mapping[str, str], name: str) -> int | None:
    value = headers.get(name)
    if value is None:
        return None
    try:
        return int(float(value))
    except ValueError:
        return None


@dataclass
class _Bucket:
    """Tokens refilled at capacity/period, held `HEADROOM_S` of refill below the server's full.

    The headroom is there because this side takes a request's cost when it sends, the server when
    the request arrives: while the server's bucket sits full (capped), this one would refill the
    tokens it took early and run ahead of the server by the send delay.
    """

    capacity: float
    period_s: float
    level: float
    updated: float

    @classmethod
    def full(cls, capacity: float, period_s: float, now: float) -> _Bucket:
        bucket = cls(capacity, period_s, capacity, now)
        bucket.level = bucket.top
        return bucket

    @property
    def rate(self) -> float:
        return self.capacity / self.period_s

    @property
    def top(self) -> float:
        return max(self.capacity - self.rate * HEADROOM_S, self.capacity / 2)

    def refill(self, now: float) -> None:
        if now > self.updated:
            if self.level < self.top:
                self.level = min(self.top, self.level + (now - self.updated) * self.rate)
            self.updated = now

    def wait_for(self, cost: float, now: float) -> float:
        """Seconds until `cost` fits; a cost above the top only needs a full bucket (then debt)."""
        self.refill(now)
        need = min(cost, self.top)
        return 0.0 if self.level >= need else (need - self.level) / self.rate


class RateLimiter:
    def __init__(
        self,
        rpm: float | None = None,
        tpm: float | None = None,
        period_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if period_s <= 0:
            raise ValueError("period_s must be positive")
        self.period_s = period_s
        self._clock = clock
        self._lock = threading.Lock()
        now = clock()
        self._requests = _Bucket.full(rpm, period_s, now) if rpm else None
        self._tokens = _Bucket.full(tpm, period_s, now) if tpm else None
        self._calibrated = bool(rpm or tpm)
        self._probing = False
        self._pause_until = 0.0
        self._reset_s: dict[str, float] = {}
        self.waited_s = 0.0  # total time senders spent waiting here, for the run log

    @property
    def limits(self) -> tuple[float | None, float | None]:
        """(requests, tokens) per period as currently believed; None = not limited."""
        with self._lock:
            return (
                self._requests.capacity if self._requests else None,
                self._tokens.capacity if self._tokens else None,
            )

    async def acquire(self, tokens: int) -> None:
        """Wait until one request costing `tokens` may be sent, then take its cost."""
        while True:
            with self._lock:
                now = self._clock()
                wait = self._pause_until - now
                if not self._calibrated:
                    if self._probing:
                        wait = max(wait, _PROBE_POLL_S)
                    elif wait <= 0:
                        self._probing = True
                        return
                for bucket, cost in ((self._requests, 1), (self._tokens, tokens)):
                    if bucket is not None:
                        wait = max(wait, bucket.wait_for(cost, now))
                if wait <= 0:
                    for bucket, cost in ((self._requests, 1), (self._tokens, tokens)):
                        if bucket is not None:
                            bucket.level -= cost
                    return
                self.waited_s += max(wait, _MIN_SLEEP_S)
            await asyncio.sleep(max(wait, _MIN_SLEEP_S))

    def update_from_headers(self, headers: Mapping[str, str]) -> None:
        """Follow the server's view; call after every answer (an empty mapping ends the probe)."""
        lowered = {k.lower(): v for k, v in headers.items()}
        with self._lock:
            now = self._clock()
            for kind in ("requests", "tokens"):
                limit = _int_header(lowered, f"x-ratelimit-limit-{kind}")
                remaining = _int_header(lowered, f"x-ratelimit-remaining-{kind}")
                reset = parse_duration(lowered.get(f"x-ratelimit-reset-{kind}"))
                if reset is not None:
                    self._reset_s[kind] = reset
                bucket = self._requests if kind == "requests" else self._tokens
                if limit is not None and limit > 0:
                    if bucket is None:
                        start = float(limit if remaining is None else remaining)
                        bucket = _Bucket.full(float(limit), self.period_s, now)
                        bucket.level = min(bucket.level, start)
                        if kind == "requests":
                            self._requests = bucket
                        else:
                            self._tokens = bucket
                    else:
                        bucket.refill(now)
                        bucket.capacity = float(limit)
                        bucket.level = min(bucket.level, bucket.top)
                if bucket is not None and remaining is not None:
                    bucket.refill(now)
                    bucket.level = min(bucket.level, float(remaining))
            self._calibrated = True
            self._probing = False

    def on_rate_limited(self, headers: Mapping[str, str], retry_after: float | None) -> float:
        """A 429: pause every sender; returns the pause in seconds (0 when the server gave none).

        Without Retry-After, wait for the reset time of whichever limit the headers show as
        exhausted; with neither, the caller's backoff decides.
        """
        self.update_from_headers(headers)
        pause = retry_after
        if pause is None:
            lowered = {k.lower(): v for k, v in headers.items()}
            exhausted = [
                self._reset_s[kind]
                for kind in ("requests", "tokens")
                if _int_header(lowered, f"x-ratelimit-remaining-{kind}") == 0
                and kind in self._reset_s
            ]
            pause = max(exhausted) if exhausted else None
        if pause:
            self.pause(pause)
        return pause or 0.0

    def pause(self, seconds: float) -> None:
        with self._lock:
            self._pause_until = max(self._pause_until, self._clock() + seconds)
