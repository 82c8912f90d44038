"""Task `score` (mapped over shards): sentiment per (post, ticker) for one shard.

Every post sent comes back as one row per ticker, scored or unscored with a reason: a post that the
scorer did not answer for is written as unscored, never left out.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import Any

import pyarrow as pa

from tickerpulse.schema import SCORE_SCHEMA
from tickerpulse.scoring.base import BatchResult, PostToScore, Scorer
from tickerpulse.scoring.factory import make_scorer
from tickerpulse.stages import paths
from tickerpulse.stages.context import StageContext
from tickerpulse.stages.plan import SHARD_SCHEMA

log = logging.getLogger(__name__)


def score_rows(
    scorer: Scorer, posts: list[PostToScore], result: BatchResult
) -> list[dict[str, Any]]:
    """One SCORE_SCHEMA row per (post, ticker) sent, whatever the scorer returned."""
    by_key = {(s.post_id, s.ticker): s for s in result.scores}
    per_post_tokens_in = result.tokens_in // max(1, len(posts))
    per_post_tokens_out = result.tokens_out // max(1, len(posts))
    rows = []
    for post in posts:
        for ticker in post.tickers:
            hit = by_key.get((post.post_id, ticker))
            base = {
                "post_id": post.post_id,
                "ticker": ticker,
                "scorer": scorer.name,
                "scorer_version": scorer.version,
                "model": scorer.model,
                "prompt_version": scorer.prompt_version,
                "tokens_in": per_post_tokens_in,
                "tokens_out": per_post_tokens_out,
            }
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


def run(ctx: StageContext, shard_ref: dict[str, Any]) -> dict[str, Any]:
    shard = ctx.lake.read_table(shard_ref["shard"], SHARD_SCHEMA).to_pylist()
    batches: dict[tuple[str, int], list[PostToScore]] = defaultdict(list)
    for row in shard:
        batches[(row["scorer"], row["batch_no"])].append(
            PostToScore(row["post_id"], row["text"], tuple(row["tickers"]))
        )
    scorers: dict[str, Scorer] = {}
    rows: list[dict[str, Any]] = []
    calls = tokens_in = tokens_out = cache_hits = 0
    for name, batch_no in sorted(batches, key=lambda key: (key[1], key[0])):
        if name not in scorers:
            scorers[name] = make_scorer(name, ctx.settings)
        scorer = scorers[name]
        posts = batches[(name, batch_no)]
        result = scorer.score_batch(posts)
        rows.extend(score_rows(scorer, posts, result))
        if scorer.name == "llm":
            calls += result.calls
        tokens_in += result.tokens_in
        tokens_out += result.tokens_out
        cache_hits += result.cache_hits
    url = ctx.lake.write_table(
        paths.scores(ctx.interval, int(shard_ref["shard_no"])),
        pa.Table.from_pylist(rows, schema=SCORE_SCHEMA),
    )
    scored = sum(1 for r in rows if r["status"] == "scored")
    log.info(
        "score %s shard %s: in=%d posts, out=%d scored / %d unscored (post, ticker) rows, "
        "%d calls, %d+%d tokens",
        ctx.interval.key,
        shard_ref["shard_no"],
        len(shard),
        scored,
        len(rows) - scored,
        calls,
        tokens_in,
        tokens_out,
    )
    return {
        "scores": url,
        "posts": len(shard),
        "scored": scored,
        "unscored": len(rows) - scored,
        "llm_calls": calls,
        "tokens_in": tokens_in,
        "tokens_out": tokens_out,
        "cache_hits": cache_hits,
        "scorer_version": ",".join(sorted(s.version for s in scorers.values()))
        or ctx.params.scorer,
    }
