"""LLM answers cached in Postgres, keyed by (content hash, model, prompt version).

An answer depends only on what the model saw (the text and the tickers asked about), which model
answered and which prompt it was given, so that is the key: a re-run or a backfill of posts
already scored makes no call, and two posts with identical text and tickers share one answer.
Only complete answers are stored (every ticker of the post scored): a post that came back
unscored, or only partly scored, is asked again next time rather than frozen in its failure.

Each entry keeps the tokens attributed to the post when it was first scored, so a row rebuilt
from the cache is byte-identical to the row first written.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from psycopg2.extras import Json

from tickerpulse.scoring.base import PostToScore, TickerScore
from tickerpulse.warehouse.db import connect
from tickerpulse.warehouse.migrate import migrate
from tickerpulse.warehouse.queries import query


def content_key(post: PostToScore) -> str:
    """sha256 hex of the canonical JSON of (text, sorted tickers): what the model is shown."""
    canonical = json.dumps(
        {"text": post.text, "tickers": sorted(post.tickers)},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class CachedAnswer:
    scores: tuple[TickerScore, ...]  # post_id is the asking post's id, in the post's ticker order
    tokens_in: int
    tokens_out: int


def _complete(post: PostToScore, scores: Sequence[TickerScore]) -> list[dict[str, Any]] | None:
    """The post's scores as cache entries, or None unless every ticker has one valid score."""
    by_ticker = {s.ticker: s for s in scores if s.post_id == post.post_id}
    if (
        not post.tickers
        or set(by_ticker) != set(post.tickers)
        or len(set(post.tickers)) != len(post.tickers)
    ):
        return None
    entries = []
    for ticker in post.tickers:
        hit = by_ticker[ticker]
        if not -1.0 <= hit.score <= 1.0:
            return None
        entries.append(
            {"ticker": ticker, "score": hit.score, "label": hit.label, "reasoning": hit.reasoning}
        )
    return entries


class ScoreCache:
    """Lookup and store of LLM answers in tickerpulse.llm_score_cache."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        migrate(dsn)

    def lookup(
        self, posts: Sequence[PostToScore], model: str, prompt_version: str
    ) -> dict[str, CachedAnswer]:
        """post_id -> cached answer, for the posts that have one (hits only)."""
        keys = {post.post_id: content_key(post) for post in posts if post.tickers}
        if not keys:
            return {}
        with connect(self.dsn) as conn, conn.cursor() as cur:
            cur.execute(
                query("llm_cache_lookup"),
                {
                    "model": model,
                    "prompt_version": prompt_version,
                    "keys": sorted(set(keys.values())),
                },
            )
            found = {row[0]: row[1:] for row in cur.fetchall()}
        out: dict[str, CachedAnswer] = {}
        for post in posts:
            row = found.get(keys.get(post.post_id, ""))
            if row is None:
                continue
            entries, tokens_in, tokens_out = row
            by_ticker = {e["ticker"]: e for e in entries}
            if set(by_ticker) != set(post.tickers):
                continue  # cannot happen for a matching key; a miss is the safe answer
            out[post.post_id] = CachedAnswer(
                scores=tuple(
                    TickerScore(
                        post_id=post.post_id,
                        ticker=t,
                        score=float(by_ticker[t]["score"]),
                        label=str(by_ticker[t]["label"]),
                        reasoning=str(by_ticker[t]["reasoning"]),
                    )
                    for t in post.tickers
                ),
                tokens_in=int(tokens_in),
                tokens_out=int(tokens_out),
            )
        return out

    def store(
        self,
        answers: Sequence[tuple[PostToScore, Sequence[TickerScore], int, int]],
        model: str,
        prompt_version: str,
    ) -> int:
        """Store complete answers (post, scores, tokens_in, tokens_out); return rows written.

        Idempotent: an existing entry is kept as it is (the first answer wins), so storing the
        same answers twice writes nothing the second time.
        """
        rows: dict[str, tuple[list[dict[str, Any]], int, int]] = {}
        for post, scores, tokens_in, tokens_out in answers:
            entries = _complete(post, scores)
            if entries is not None:
                rows.setdefault(content_key(post), (entries, int(tokens_in), int(tokens_out)))
        if not rows:
            return 0
        keys = sorted(rows)
        with connect(self.dsn) as conn, conn.cursor() as cur:
            cur.execute(
                query("llm_cache_store"),
                {
                    "model": model,
                    "prompt_version": prompt_version,
                    "keys": keys,
                    "scores": [Json(rows[k][0]) for k in keys],
                    "tokens_in": [rows[k][1] for k in keys],
                    "tokens_out": [rows[k][2] for k in keys],
                },
            )
            return int(cur.rowcount)
