"""The scorer interface.

A scorer sees a batch of posts, each with the tickers it mentions, and returns one result per
(post, ticker) or says why a post stayed unscored. It never drops a post silently: the caller
checks that every post id sent comes back either scored or unscored.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

BULLISH = "bullish"
BEARISH = "bearish"
NEUTRAL = "neutral"
LABEL_THRESHOLD = 0.05


def label_for(score: float) -> str:
    """Three-way label used by the CLI and the score rows."""
    if score > LABEL_THRESHOLD:
        return BULLISH
    if score < -LABEL_THRESHOLD:
        return BEARISH
    return NEUTRAL


@dataclass(frozen=True)
class PostToScore:
    post_id: str
    text: str
    tickers: tuple[str, ...]


@dataclass(frozen=True)
class TickerScore:
    post_id: str
    ticker: str
    score: float  # in [-1, 1], toward the ticker's price
    label: str  # bullish | bearish | neutral
    reasoning: str


@dataclass(frozen=True)
class CallRecord:
    """One HTTP attempt at the LLM endpoint, for the run's cost and reliability log."""

    posts: int
    tokens_in: int  # billed (usage) when the answer said so, else 0
    tokens_out: int
    status: str  # ok | 429 | 500 | 503 | 400 | timeout | connection | invalid
    attempt: int  # 1-based transport attempt for this request
    latency_s: float


@dataclass
class BatchResult:
    """What one batch came to. Every post sent ends in exactly one of: a score per ticker in
    `scores`, `unscored` (with the reason), or `over_budget` (never sent: the spend guard said no,
    so the caller scores it some other way)."""

    scores: list[TickerScore] = field(default_factory=list)
    unscored: dict[str, str] = field(default_factory=dict)  # post_id -> reason
    calls: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    cache_hits: int = 0
    over_budget: list[str] = field(default_factory=list)
    rate_limited: int = 0  # 429 answers seen
    retries: int = 0  # transport attempts after the first, over all requests
    call_log: list[CallRecord] = field(default_factory=list)


class SpendGuard(Protocol):
    """The run's budget, asked before every request and told the real usage after it.

    `reserve` holds the worst case (estimated input + max_tokens) so that concurrent requests
    cannot overshoot the cap together; `settle` swaps the reservation for what was billed.
    """

    def reserve(self, tokens_in: int, tokens_out: int) -> bool: ...  # False: do not send

    def settle(
        self, reserved_in: int, reserved_out: int, actual_in: int, actual_out: int
    ) -> None: ...


class Scorer(Protocol):
    name: str  # "offline" | "llm"
    version: str  # stored with every score row, e.g. "lexicon-v1" or "gpt-4o-mini@p1"
    model: str | None
    prompt_version: str | None

    def score_batch(self, posts: Sequence[PostToScore]) -> BatchResult: ...


def score_each_post(
    posts: Sequence[PostToScore], score_text: Callable[[str | None], tuple[float, str]]
) -> BatchResult:
    """A BatchResult for a scorer that reads the text only (the offline scorer, VADER).

    Such a scorer gives one (score, reasoning) per post, the same for every ticker it names; a
    post with no tickers is unscored. One function, so the two text scorers cannot drift apart.
    """
    result = BatchResult()
    for post in posts:
        if not post.tickers:
            result.unscored[post.post_id] = "no tickers"
            continue
        score, reasoning = score_text(post.text)
        label = label_for(score)
        for ticker in dict.fromkeys(post.tickers):
            result.scores.append(TickerScore(post.post_id, ticker, score, label, reasoning))
    return result
