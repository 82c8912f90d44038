"""Concurrency, client-side rate limiting, Retry-After and backoff, against the loopback server.

The server enforces real token buckets per `window_s` (1 s here instead of 60, so the tests are
fast) and says so in its x-ratelimit-* headers; nothing here asserts on elapsed time, only on what
the server saw: how many requests were in flight, how many got 429, when each one arrived.
"""

from __future__ import annotations

import email.utils
import time

import pytest

from tests.servers import openai_server as srv
from tests.servers.openai_server import Fault, OpenAIServer
from tickerpulse.retry import Backoff, retry_after_s
from tickerpulse.scoring.base import BatchResult, PostToScore
from tickerpulse.scoring.llm import LlmScorer, LlmUnavailable
from tickerpulse.scoring.rate_limit import RateLimiter, parse_duration


def posts(n: int, prefix: str = "p") -> list[PostToScore]:
    texts = ("GME to the moon", "buying puts on TSLA", "AAPL earnings thursday")
    return [PostToScore(f"{prefix}{i}", texts[i % 3], ("GME",)) for i in range(n)]


def scorer(server: OpenAIServer, **kwargs: object) -> LlmScorer:
    kwargs.setdefault("backoff", Backoff(base_s=0.01))
    return LlmScorer(server.base_url, "test-key", "test-model", timeout=5.0, **kwargs)  # type: ignore[arg-type]


def scored_ids(results: list[BatchResult]) -> set[str]:
    return {s.post_id for r in results for s in r.scores}


# -- header parsing ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("6ms", 0.006),
        ("120ms", 0.12),
        ("2.5s", 2.5),
        ("1m30s", 90.0),
        ("1h2m3s", 3723.0),
        ("7", 7.0),
        ("0s", 0.0),
        ("", None),
        ("soon", None),
        ("5x", None),
        ("1m junk", None),
    ],
)
def test_parse_duration(text: str, seconds: float | None) -> None:
    expected = None if seconds is None else pytest.approx(seconds)
    assert parse_duration(text) == expected


def test_retry_after_prefers_milliseconds_then_seconds_then_a_date() -> None:
    assert retry_after_s({"retry-after-ms": "250", "Retry-After": "3"}) == 0.25
    assert retry_after_s({"Retry-After": "3"}) == 3.0
    assert retry_after_s({"Retry-After": "1.5"}) == 1.5
    date = email.utils.formatdate(time.time() + 30, usegmt=True)
    waited = retry_after_s({"Retry-After": date})
    assert waited is not None
    assert 25 < waited <= 30
    assert retry_after_s({"Retry-After": "whenever"}) is None
    assert retry_after_s({"retry-after-ms": "-5"}) is None
    assert retry_after_s({}) is None


def test_limiter_follows_the_servers_headers() -> None:
    limiter = RateLimiter(tpm=50_000)
    assert limiter.limits == (None, 50_000)
    limiter.update_from_headers(
        {
            "x-ratelimit-limit-requests": "500",
            "x-ratelimit-remaining-requests": "499",
            "x-ratelimit-reset-requests": "120ms",
            "x-ratelimit-limit-tokens": "30000",
            "x-ratelimit-remaining-tokens": "1200",
            "x-ratelimit-reset-tokens": "57.6s",
        }
    )
    assert limiter.limits == (500, 30_000)  # the server's numbers win over the configured ones
    # a 429 with no Retry-After pauses for the reset time of the exhausted limit
    pause = limiter.on_rate_limited(
        {"x-ratelimit-remaining-tokens": "0", "x-ratelimit-reset-tokens": "1m30s"}, None
    )
    assert pause == 90.0
    assert limiter.on_rate_limited({}, 0.25) == 0.25


def test_backoff_is_full_jitter_under_an_exponential_ceiling() -> None:
    import random

    policy = Backoff(base_s=1.0, cap_s=8.0, rng=random.Random(3))
    for attempt in range(1, 8):
        ceiling = min(8.0, 2 ** (attempt - 1))
        draws = [policy.delay(attempt) for _ in range(200)]
        assert all(0 <= d <= ceiling for d in draws)
        assert max(draws) > ceiling * 0.8  # jitter spans the range, not a fixed step
    assert policy.delay(5, retry_after=2.0) == 2.0  # the server's hint wins
    assert policy.delay(1, retry_after=1e6) == policy.max_retry_after_s


# -- against the server ----------------------------------------------------------------------------
def test_requests_overlap_up_to_the_concurrency_limit() -> None:
    with OpenAIServer(latency_s=0.15) as server:
        llm = scorer(server, concurrency=4)
        batches = [posts(2, f"b{i}-") for i in range(10)]
        results = llm.score_batches(batches)

    assert [len(r.scores) for r in results] == [2] * 10
    assert 1 < server.max_in_flight <= 4
    assert llm.max_in_flight == server.max_in_flight


def test_the_limiter_paces_requests_so_the_server_never_says_429() -> None:
    # 30 single-post requests of ~550 tokens each against 6,000 tokens per 1 s window: three
    # buckets' worth, so they cannot all go at once; the limiter must spread them out.
    with OpenAIServer(tpm_limit=6000, window_s=1.0) as server:
        llm = scorer(server, concurrency=8, tpm=6000, rate_period_s=1.0)
        batches = [posts(1, f"b{i}-") for i in range(30)]
        results = llm.score_batches(batches)

    charged = sum(tokens for _at, tokens in server.admitted)
    assert charged > 2.5 * 6000
    assert server.rate_limited == 0
    assert sum(r.rate_limited for r in results) == 0
    assert scored_ids(results) == {p.post_id for b in batches for p in b}


def test_limits_learnt_from_headers_when_none_are_configured() -> None:
    # The client starts with no limits: one probe request, then the server's headers set them.
    with OpenAIServer(tpm_limit=6000, rpm_limit=1000, window_s=1.0, latency_s=0.1) as server:
        llm = scorer(server, concurrency=8, rate_period_s=1.0)
        batches = [posts(1, f"b{i}-") for i in range(24)]
        results = llm.score_batches(batches)

    assert llm.limiter.limits == (1000, 6000)
    first, *rest = server.completions()
    assert all(r.at - first.at >= 0.1 for r in rest)  # nothing else went before its answer
    assert server.rate_limited <= 1  # at most the probe's window could surprise it
    assert scored_ids(results) == {p.post_id for b in batches for p in b}


def test_a_429_pauses_every_sender_for_retry_after() -> None:
    with OpenAIServer() as server:
        server.faults.append(Fault(srv.HTTP_429, retry_after=0.4))
        llm = scorer(server, concurrency=4)
        results = llm.score_batches([posts(2, f"b{i}-") for i in range(4)])

    first, *rest = server.completions()
    # Limits unknown: the first request went alone, got the 429, and nobody sent anything until
    # its Retry-After had passed.
    assert len(rest) == 4
    assert all(r.at - first.at >= 0.4 for r in rest)
    assert sum(r.rate_limited for r in results) == 1
    assert sum(r.retries for r in results) == 1
    assert [c.status for r in results for c in r.call_log].count("429") == 1
    assert all(len(r.scores) == 2 for r in results)


def test_real_429s_from_a_misconfigured_limit_are_retried_and_counted() -> None:
    # The connection claims 10x the server's limit: the server answers 429 with retry-after-ms,
    # the client adopts the server's limit from the headers and every post still gets scored.
    with OpenAIServer(tpm_limit=3000, window_s=1.0) as server:
        llm = scorer(server, concurrency=8, tpm=30_000, rate_period_s=1.0, max_attempts=6)
        batches = [posts(1, f"b{i}-") for i in range(16)]
        results = llm.score_batches(batches)

    assert server.rate_limited > 0
    assert sum(r.rate_limited for r in results) == server.rate_limited
    assert llm.limiter.limits[1] == 3000
    assert scored_ids(results) == {p.post_id for b in batches for p in b}


def test_transport_attempts_are_bounded() -> None:
    with OpenAIServer() as server:
        server.faults.extend([Fault(srv.HTTP_503)] * 10)
        with pytest.raises(LlmUnavailable, match="3 attempts"):
            scorer(server, max_attempts=3).score_batch(posts(3))
        assert len(server.completions()) == 3


def test_a_request_that_keeps_failing_leaves_its_posts_unscored_not_the_others() -> None:
    with OpenAIServer() as server:
        server.poison["bad0"] = srv.HTTP_503
        llm = scorer(server, max_attempts=3)
        good, bad = llm.score_batches([posts(2, "good"), posts(1, "bad")])

    assert {s.post_id for s in good.scores} == {"good0", "good1"}
    assert bad.unscored == {"bad0": "endpoint failed after 3 attempts: 503"}
    assert bad.retries == 2
    assert [c.status for c in bad.call_log] == ["503"] * 3
    carrying_bad = [r for r in server.completions() if "bad0" in str(server.posts_sent(r))]
    assert len(carrying_bad) == 3


def test_auth_errors_are_raised_at_once() -> None:
    import openai

    with OpenAIServer(api_key="right") as server:
        llm = LlmScorer(server.base_url, "wrong", "test-model", backoff=Backoff(base_s=0.01))
        with pytest.raises(openai.AuthenticationError):
            llm.score_batch(posts(1))
        assert len(server.completions()) == 1


def test_from_connection_reads_the_limits() -> None:
    conn = {
        "host": "http://127.0.0.1:1/v1",
        "password": "k",
        "extra": {
            "model": "m",
            "concurrency": 3,
            "rpm": 500,
            "tpm": 200000,
            "max_attempts": 5,
            "timeout": 12,
        },
    }
    llm = LlmScorer.from_connection(conn)
    assert (llm.concurrency, llm.backoff.max_attempts, llm.timeout) == (3, 5, 12.0)
    assert llm.limiter.limits == (500, 200000)
    assert LlmScorer.from_connection({**conn, "extra": {"model": "m"}}).limiter.limits == (
        None,
        None,
    )
