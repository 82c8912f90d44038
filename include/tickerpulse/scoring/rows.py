"""Score rows (SCORE_SCHEMA): one per (post, ticker) sent, whatever the scorer answered.

The LLM path (`scoring/llm_shard.py`) and the stage (`stages/score.py`) both build rows, and a
row rebuilt from the cache must be byte-identical to the row first written, so one module builds
them all.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tickerpulse.scoring.base import BatchResult, PostToScore, Scorer
from tickerpulse.scoring.cache import CachedAnswer

Row = dict[str, Any]


def _row(
    scorer: Scorer, post_id: str, ticker: str, tokens: tuple[int, int], fallback: str | None
) -> Row:
    return {
        "post_id": post_id,
        "ticker": ticker,
        "scorer": scorer.name,
        "scorer_version": scorer.version,
        "model": scorer.model,
        "prompt_version": scorer.prompt_version,
        "tokens_in": tokens[0],
        "tokens_out": tokens[1],
        "fallback_reason": fallback,
    }


def score_rows(
    scorer: Scorer,
    posts: Sequence[PostToScore],
    result: BatchResult,
    tokens: tuple[int, int] | None = None,
    fallback_reason: str | None = None,
) -> list[Row]:
    """One SCORE_SCHEMA row per (post, ticker) sent, whatever the scorer returned.

    `tokens` is what each post's rows report (default: the batch's tokens split evenly).
    """
    by_key = {(s.post_id, s.ticker): s for s in result.scores}
    if tokens is None:
        tokens = (result.tokens_in // max(1, len(posts)), result.tokens_out // max(1, len(posts)))
    rows = []
    for post in posts:
        for ticker in post.tickers:
            hit = by_key.get((post.post_id, ticker))
            base = _row(scorer, post.post_id, ticker, tokens, fallback_reason)
            if hit is not None:
                rows.append(
                    {
                        **base,
                        "status": "scored",
                        "score": max(-1.0, min(1.0, hit.score)),
                        "label": hit.label,
                        "reasoning": hit.reasoning,
                        "unscored_reason": None,
                    }
                )
            else:
                reason = result.unscored.get(post.post_id) or "ticker missing from the answer"
                rows.append(
                    {
                        **base,
                        "status": "unscored",
                        "score": None,
                        "label": None,
                        "reasoning": None,
                        "unscored_reason": reason,
                    }
                )
    return rows


def cached_rows(scorer: Scorer, post: PostToScore, answer: CachedAnswer) -> list[Row]:
    """The rows of a post answered from the cache: the same as when it was first scored."""
    result = BatchResult(scores=list(answer.scores))
    return score_rows(scorer, [post], result, tokens=(answer.tokens_in, answer.tokens_out))
