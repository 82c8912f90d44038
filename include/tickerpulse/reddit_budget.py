"""One Reddit request budget for every caller, across processes.

Reddit's free tier allows 100 requests a minute per OAuth client, and counts every request of
that client: the DAG's sweeps, the collector, and late_scores' `/api/info` refreshes. Each of them
asks this budget before each HTTP request (`RetryingRequestor.before_request`), so together they
stay under the limit instead of finding out through 429s.

It is a sliding window, as Reddit counts: at most `per_minute` requests in any `period_seconds`
(60). A first try may only go while fewer than `(1 - headroom) * per_minute` went in the window;
a retry may use the rest. So a burst of faults can always be retried without waiting behind new
work, and new work never spends the retries' reserve. (A token bucket would let a full bucket
plus a minute's refill through in one minute: twice the limit.)

Shared state lives in the warehouse (tables `reddit_budget`, `reddit_budget_grants`, sql/021),
which every process of a deployment already reaches, the embedded PostgreSQL included, so there
is nothing more to run (no Redis). Takers queue on the client's row lock, and the database's
clock times the window, so processes on different hosts agree. `LocalRequestBudget` is the same
window in one process, for when the warehouse is switched off.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Protocol

import psycopg2

from tickerpulse.warehouse.migrate import migrate
from tickerpulse.warehouse.queries import query

log = logging.getLogger(__name__)


class RequestBudget(Protocol):
    def take(self, retry: bool = False) -> float:
        """Block until the request may be sent; return the seconds waited."""
        ...


class _Window:
    """What both implementations share: the limits of the window."""

    def __init__(self, per_minute: int, headroom: float, period_seconds: float) -> None:
        if per_minute < 1:
            raise ValueError("a request budget needs at least one request a period")
        if not 0 <= headroom < 1:
            raise ValueError("headroom is a share of the budget, in [0, 1)")
        self.limit = int(per_minute)
        self.period = float(period_seconds)
        self.first_tries = max(1, int(self.limit * (1 - headroom)))
        self.waited = 0.0
        self.granted = 0

    def allowed(self, retry: bool) -> int:
        return self.limit if retry else self.first_tries


class LocalRequestBudget(_Window):
    """The window in this process only (threads share it)."""

    def __init__(
        self,
        per_minute: int,
        headroom: float = 0.1,
        period_seconds: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(per_minute, headroom, period_seconds)
        self._grants: deque[float] = deque()
        self._clock, self._sleep = clock, sleep
        self._lock = threading.Lock()

    def take(self, retry: bool = False) -> float:
        waited = 0.0
        allowed = self.allowed(retry)
        while True:
            with self._lock:
                now = self._clock()
                while self._grants and self._grants[0] <= now - self.period:
                    self._grants.popleft()
                if len(self._grants) < allowed:
                    self._grants.append(now)
                    self.granted += 1
                    self.waited += waited
                    return waited
                # when the allowed-th newest grant leaves the window
                wait = self._grants[len(self._grants) - allowed] + self.period - now
            self._sleep(max(wait, 1e-3))
            waited += max(wait, 1e-3)


class PostgresRequestBudget(_Window):
    """The window in the warehouse, shared by every process that uses the same `client`."""

    def __init__(
        self,
        dsn: str,
        per_minute: int,
        headroom: float = 0.1,
        period_seconds: float = 60.0,
        client: str = "reddit_default",
    ) -> None:
        super().__init__(per_minute, headroom, period_seconds)
        self.dsn, self.client = dsn, client
        migrate(dsn)
        self._conn: psycopg2.extensions.connection | None = None
        self._lock = threading.Lock()

    def _connection(self) -> psycopg2.extensions.connection:
        if self._conn is None or self._conn.closed:
            self._conn = psycopg2.connect(self.dsn, application_name="tickerpulse-reddit-budget")
        return self._conn

    def take(self, retry: bool = False) -> float:
        waited = 0.0
        params = {"client": self.client, "period": self.period, "allowed": self.allowed(retry)}
        while True:
            with self._lock:
                conn = self._connection()
                try:
                    with conn.cursor() as cur:
                        cur.execute(query("reddit_budget_lock"), params)
                        cur.execute(query("reddit_budget_window"), params)
                        _used, wait = cur.fetchone()
                        if wait is None:
                            cur.execute(query("reddit_budget_grant"), {**params, "waited": waited})
                    conn.commit()
                except BaseException:
                    conn.rollback()
                    raise
            if wait is None:
                self.granted += 1
                self.waited += waited
                return waited
            pause = max(float(wait), 1e-3)
            time.sleep(pause)
            waited += pause

    def close(self) -> None:
        if self._conn is not None and not self._conn.closed:
            self._conn.close()
        self._conn = None

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # noqa: BLE001 - interpreter shutdown: nothing left to report to
            pass
