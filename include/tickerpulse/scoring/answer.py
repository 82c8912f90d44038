"""Checking a model's answer against what was sent: ids, tickers, ranges and the schema's shape.

The answer is untrusted: a result is accepted only for an id that was sent, once, with exactly
the schema's fields, a finite score in [-1, 1] and a known label for every ticker sent. Anything
else becomes a per-post problem that the caller re-asks or reports.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from typing import Any

from tickerpulse.scoring.base import PostToScore, TickerScore
from tickerpulse.scoring.prompt import LABELS

log = logging.getLogger(__name__)

_ITEM_KEYS = {"id", "tickers"}
_ENTRY_KEYS = {"ticker", "reasoning", "score", "label"}


def collect_results(
    posts: Sequence[PostToScore], items: list[Any]
) -> tuple[list[TickerScore], dict[str, str]]:
    sent = {p.post_id: p for p in posts}
    answers: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        post_id = item.get("id") if isinstance(item, dict) else None
        if not isinstance(post_id, str) or post_id not in sent:
            log.warning("ignoring a result for an id that was not sent: %r", post_id)
            continue
        answers.setdefault(post_id, []).append(item)
    scores: list[TickerScore] = []
    problems: dict[str, str] = {}
    for post_id, post in sent.items():
        found = answers.get(post_id, [])
        if not found:
            problems[post_id] = "id missing from response"
        elif len(found) > 1:
            problems[post_id] = "id returned more than once"
        elif set(found[0]) != _ITEM_KEYS:
            problems[post_id] = "result has fields outside the schema"
        else:
            post_scores, problem = _ticker_scores(post, found[0])
            if problem is None:
                scores.extend(post_scores)
            else:
                problems[post_id] = problem
    return scores, problems


def _ticker_scores(post: PostToScore, item: dict[str, Any]) -> tuple[list[TickerScore], str | None]:
    entries = item.get("tickers")
    if not isinstance(entries, list):
        return [], "tickers is not a list"
    wanted = {_norm(t): t for t in post.tickers}
    by_ticker: dict[str, TickerScore] = {}
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("ticker"), str):
            return [], "malformed ticker entry"
        if set(entry) != _ENTRY_KEYS:
            return [], "ticker entry has fields outside the schema"
        ticker = wanted.get(_norm(entry["ticker"]))
        if ticker is None:
            continue  # the model may only score what was sent; anything else is ignored
        if ticker in by_ticker:
            return [], f"ticker {ticker} scored more than once"
        score, label, reasoning = entry.get("score"), entry.get("label"), entry.get("reasoning")
        if isinstance(score, bool) or not isinstance(score, int | float):
            return [], f"score for {ticker} is not a number"
        if not math.isfinite(score) or not -1.0 <= score <= 1.0:
            return [], f"score for {ticker} out of range: {score!r}"
        if label not in LABELS:
            return [], f"label for {ticker} invalid: {label!r}"
        if not isinstance(reasoning, str):
            return [], f"reasoning for {ticker} is not text"
        by_ticker[ticker] = TickerScore(
            post.post_id, ticker, float(score), label, reasoning.strip()
        )
    missing = [t for t in post.tickers if t not in by_ticker]
    if missing:
        return [], f"no result for ticker(s) {', '.join(missing)}"
    return [by_ticker[t] for t in post.tickers], None


def _norm(ticker: str) -> str:
    return ticker.strip().lstrip("$").upper()
