"""The scorer interface.

A scorer sees a batch of posts, each with the tickers it mentions, and returns one result per
(post, ticker) or says why a post stayed unscored. It never drops a post silently: the caller
checks that every post id sent comes back either scored or unscored.
"""

from __future__ import annotations

from collections.abc import Sequence
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


@dataclass
class BatchResult:
    scores: list[TickerScore] = field(default_factory=list)
    unscored: dict[str, str] = field(default_factory=dict)  # post_id -> reason
    calls: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    cache_hits: int = 0


class Scorer(Protocol):
    name: str  # "offline" | "llm"
    version: str  # stored with every score row, e.g. "lexicon-v1" or "gpt-4o-mini@p1"
    model: str | None
    prompt_version: str | None

    def score_batch(self, posts: Sequence[PostToScore]) -> BatchResult: ...
