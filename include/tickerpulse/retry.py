"""Backoff for HTTP clients: exponential with full jitter, a bounded number of attempts, and the
server's own wait hint (Retry-After), parsed in one place for every client.

The LLM client uses all of it; its SDK's own retries are switched off (max_retries=0) so this
policy is the only one: two stacked retry loops multiply attempts and hide 429s from the rate
limiter. Full jitter (a uniform draw between 0 and the exponential ceiling) spreads the retries of
many concurrent senders that failed together, instead of having them come back in lockstep. When
the server says how long to wait (Retry-After, retry-after-ms), that wins: it knows its own window.
The Reddit source reads Retry-After through `retry_after_s` too.
"""

from __future__ import annotations

import email.utils
import math
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass
class Backoff:
    max_attempts: int = 4  # attempts per request, the first one included
    base_s: float = 0.5
    cap_s: float = 30.0
    max_retry_after_s: float = 120.0  # a Retry-After longer than this is clipped
    rng: random.Random = field(default_factory=random.Random)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.base_s < 0 or self.cap_s < 0:
            raise ValueError("backoff times must be non-negative")

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        if retry_after is not None:
            return max(0.0, min(retry_after, self.max_retry_after_s))
        ceiling = min(self.cap_s, self.base_s * 2 ** (attempt - 1))
        return self.rng.uniform(0.0, ceiling)


def retry_after_s(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """The server's wait hint: `retry-after-ms`, else `Retry-After` (seconds or an HTTP date)."""
    lowered = {k.lower(): v for k, v in headers.items()}
    ms = lowered.get("retry-after-ms")
    if ms is not None:
        try:
            value = float(ms) / 1000.0
        except ValueError:
            value = math.nan
        if math.isfinite(value) and value >= 0:
            return value
    raw = lowered.get("retry-after")
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(raw)
        except (TypeError, ValueError):
            return None
        return max(0.0, when.timestamp() - (time.time() if now is None else now))
    return value if math.isfinite(value) and value >= 0 else None
