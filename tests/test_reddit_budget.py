"""One Reddit request budget for every caller: a token bucket in Postgres, shared by processes
(here: separate connections in threads), with headroom that only retries may spend; praw callers
that share it stay under the loopback server's 429 limit."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from tests.servers.reddit_server import RedditServer
from tests.servers.reddit_timeline import TimelineClock, generate
from tickerpulse.reddit_budget import LocalRequestBudget, PostgresRequestBudget
from tickerpulse.sources.reddit_praw import PrawRedditSource, RetryPolicy

START = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)
END = START + timedelta(minutes=30)


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_first_tries_leave_the_headroom_to_retries() -> None:
    fake = FakeTime()
    budget = LocalRequestBudget(10, headroom=0.3, clock=fake.clock, sleep=fake.sleep)

    for _ in range(7):
        assert budget.take() == 0.0  # 10 a minute, 3 kept back
        fake.now += 1
    assert budget.take(retry=True) == 0.0  # a retry may use the reserve
    # a first try waits until only 6 of the last minute's requests are left in it
    assert budget.take() == pytest.approx(60 - 6)
    assert budget.granted == 9


def test_the_postgres_window_is_shared_by_every_connection(fresh_db: str) -> None:
    a = PostgresRequestBudget(fresh_db, 20, headroom=0.25, period_seconds=1.0, client="t")
    b = PostgresRequestBudget(fresh_db, 20, headroom=0.25, period_seconds=1.0, client="t")
    try:
        started = time.monotonic()
        for i in range(15):  # 20 a second, 5 kept back: 15 first tries at once, from both
            (a if i % 2 else b).take()
        assert time.monotonic() - started < 0.5
        assert b.take(retry=True) == 0.0  # the reserve
        waited = a.take()  # the next first try waits until the window has moved on
        assert waited > 0.3
    finally:
        a.close()
        b.close()


def _source(server: RedditServer, clock: TimelineClock, budget: PostgresRequestBudget | None):
    return PrawRedditSource(
        client_id="test-client",
        client_secret="test-secret",
        user_agent="tickerpulse-tests/0.1",
        oauth_url=server.url,
        reddit_url=server.url,
        clock=clock,
        retry=RetryPolicy(attempts=8, backoff_seconds=0.01, max_wait_seconds=5),
        before_request=None if budget is None else budget.take,
    )


@pytest.mark.slow
@pytest.mark.parametrize("shared_budget", [False, True])
def test_callers_sharing_the_budget_never_meet_a_429(shared_budget: bool, fresh_db: str) -> None:
    """Three callers (two sweeps and a refresh) at once against a limit of 10 requests a
    second: alone each is fine, together they go over, unless they share the budget."""
    lo, hi = START.timestamp(), END.timestamp()
    records = generate("wallstreetbets", lo, hi, comments_per_minute=1000, seed=5)
    clock = TimelineClock(hi, speed=0)
    names = [r["name"] for r in records][:300]
    with RedditServer(
        records, clock=clock, requests_per_minute=10, rate_window_seconds=1.0
    ) as server:
        budgets = [
            PostgresRequestBudget(fresh_db, 10, headroom=0.2, period_seconds=1.0, client="c")
            if shared_budget
            else None
            for _ in range(3)
        ]
        sources = [_source(server, clock, budget) for budget in budgets]
        results: dict[int, int] = {}

        def sweep(i: int) -> None:
            results[i] = len(sources[i].sweep("wallstreetbets", START, END, 1000).records)

        def refresh() -> None:
            results[2] = len(sources[2].refresh(names))

        threads = [threading.Thread(target=sweep, args=(i,)) for i in (0, 1)]
        threads.append(threading.Thread(target=refresh))
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        for budget in budgets:
            if budget is not None:
                budget.close()
        limited = server.rate_limited
    assert results[0] == results[1] > 0
    assert results[2] == 300
    if shared_budget:
        assert limited == 0
    else:
        assert limited > 0  # the control: without the budget Reddit would answer 429s
