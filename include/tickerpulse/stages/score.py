"""Task `score` (mapped over shards): sentiment per (post, ticker) for one shard.

Every post sent comes back as one row per ticker, scored or unscored with a reason: a post that the
scorer did not answer for is written as unscored, never left out. While the task has Airflow
retries left, a post the LLM did not answer (endpoint down, answer invalid after the re-asks)
fails the task instead (ScoreIncomplete); the answers already received are cached, so the retry
asks only for the missing posts, and only the last try stores them as unscored.

LLM batches go through three guards on the way, all backed by the warehouse (so all off when the
warehouse sink is off, except the budget, which then holds per task):

* the answer cache (tickerpulse.scoring.cache): posts already answered for this model and prompt
  are not sent, and their rows are rebuilt from the cache with the tokens first attributed to
  them, so a re-run of an interval makes no call and writes the same rows;
* the run's spend cap (tickerpulse.scoring.budget): posts the cap refused to send are scored by
  the offline scorer and their rows say so in `fallback_reason`;
* the call trace (tickerpulse.llm_calls): tokens, cost, status and latency of every call.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from tickerpulse.schema import SCORE_SCHEMA
from tickerpulse.scoring.base import BatchResult, PostToScore, Scorer, SpendGuard, TickerScore
from tickerpulse.scoring.budget import BUDGET_REACHED, LocalSpendGuard, PgSpendGuard
from tickerpulse.scoring.cache import CachedAnswer, ScoreCache
from tickerpulse.scoring.cost import Price, price_for
from tickerpulse.scoring.factory import make_scorer
from tickerpulse.stages import paths
from tickerpulse.stages.context import StageContext
from tickerpulse.stages.plan import SHARD_SCHEMA
from tickerpulse.warehouse.db import connect, resolve_dsn
from tickerpulse.warehouse.queries import query

log = logging.getLogger(__name__)

Row = dict[str, Any]


class ScoreIncomplete(RuntimeError):
    """Some posts came back unscored and the task has tries left: fail so Airflow retries."""


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


@dataclass
class LlmTally:
    """What the LLM part of one shard cost and saved."""

    calls: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0
    cache_hits: int = 0
    cache_stored: int = 0
    fallback: int = 0
    rate_limited: int = 0
    retries: int = 0


def make_guard(ctx: StageContext, price: Price) -> PgSpendGuard | LocalSpendGuard | None:
    """The run's spend guard: None without a cap; in Postgres, shared by all the run's tasks."""
    limit = ctx.settings.llm_budget_usd
    if limit is None:
        return None
    if not ctx.settings.warehouse_on:
        log.warning(
            "warehouse sink off: the LLM budget of $%.4f applies to each score task on its own",
            limit,
        )
        return LocalSpendGuard(limit, price)
    return PgSpendGuard(resolve_dsn(ctx.settings), ctx.run_key, limit, price)


def _score_llm_batches(
    scorer: Scorer, batches: list[list[PostToScore]], guard: SpendGuard | None
) -> list[BatchResult]:
    """All batches at once: bounded concurrency and one rate limiter inside the LLM scorer."""
    from tickerpulse.scoring.llm import LlmScorer  # only LLM batches come here

    if not isinstance(scorer, LlmScorer):
        raise TypeError(f"LLM batches need the LLM scorer, got {scorer.name!r}")
    return scorer.score_batches(batches, guard=guard)


def _write_calls(
    ctx: StageContext, shard_no: int, model: str | None, price: Price, results: list[BatchResult]
) -> None:
    calls = [c for r in results for c in r.call_log]
    if not calls or not ctx.settings.warehouse_on:
        return
    with connect(ctx.settings) as conn, conn.cursor() as cur:
        cur.execute(
            query("llm_insert_calls"),
            {
                "run_key": ctx.run_key,
                "interval_start": ctx.interval.start,
                "shard_no": shard_no,
                "model": model,
                "call_no": list(range(len(calls))),
                "posts": [c.posts for c in calls],
                "tokens_in": [c.tokens_in for c in calls],
                "tokens_out": [c.tokens_out for c in calls],
                "cost_usd": [price.cost(c.tokens_in, c.tokens_out) for c in calls],
                "status": [c.status for c in calls],
                "attempt": [c.attempt for c in calls],
                "latency_s": [c.latency_s for c in calls],
            },
        )


def score_llm(
    ctx: StageContext,
    shard_no: int,
    scorer: Scorer,
    batches: list[list[PostToScore]],
    offline: Scorer,
) -> tuple[dict[str, list[Row]], LlmTally]:
    """Rows per post id for the LLM batches of a shard: cache hits, answers, offline fallbacks."""
    tally = LlmTally()
    rows: dict[str, list[Row]] = {}
    model, prompt_version = scorer.model or "", scorer.prompt_version or ""
    price = price_for(scorer.model, ctx.settings)
    cache = ScoreCache(resolve_dsn(ctx.settings)) if ctx.settings.warehouse_on else None
    hits = cache.lookup([p for b in batches for p in b], model, prompt_version) if cache else {}
    by_id = {p.post_id: p for b in batches for p in b}
    for post_id, answer in hits.items():
        rows[post_id] = cached_rows(scorer, by_id[post_id], answer)
    tally.cache_hits = len(hits)

    misses = [[p for p in b if p.post_id not in hits] for b in batches]
    misses = [b for b in misses if b]
    guard = make_guard(ctx, price) if misses else None
    try:
        results = _score_llm_batches(scorer, misses, guard) if misses else []
    finally:
        if isinstance(guard, PgSpendGuard):
            guard.close()

    answers: list[tuple[PostToScore, list[TickerScore], int, int]] = []
    over_budget: list[PostToScore] = []
    for posts, result in zip(misses, results, strict=True):
        refused = set(result.over_budget)
        sent = [p for p in posts if p.post_id not in refused]
        over_budget.extend(p for p in posts if p.post_id in refused)
        per_post = (
            result.tokens_in // max(1, len(sent)),
            result.tokens_out // max(1, len(sent)),
        )
        for row in score_rows(scorer, sent, result, tokens=per_post):
            rows.setdefault(row["post_id"], []).append(row)
        scores_of: dict[str, list[TickerScore]] = defaultdict(list)
        for s in result.scores:
            scores_of[s.post_id].append(s)
        answers.extend((p, scores_of[p.post_id], *per_post) for p in sent)
        tally.calls += result.calls
        tally.tokens_in += result.tokens_in
        tally.tokens_out += result.tokens_out
        tally.rate_limited += result.rate_limited
        tally.retries += result.retries
    tally.cost_usd = price.cost(tally.tokens_in, tally.tokens_out)
    if cache is not None and answers:
        tally.cache_stored = cache.store(answers, model, prompt_version)
    if over_budget:
        result = offline.score_batch(over_budget)
        for row in score_rows(offline, over_budget, result, (0, 0), BUDGET_REACHED):
            rows.setdefault(row["post_id"], []).append(row)
        tally.fallback = len(over_budget)
        log.warning(
            "score %s shard %d: LLM budget reached, %d posts scored offline instead",
            ctx.interval.key,
            shard_no,
            len(over_budget),
        )
    _write_calls(ctx, shard_no, scorer.model, price, results)
    return rows, tally


def run(ctx: StageContext, shard_ref: dict[str, Any]) -> dict[str, Any]:
    shard = ctx.lake.read_table(shard_ref["shard"], SHARD_SCHEMA).to_pylist()
    shard_no = int(shard_ref["shard_no"])
    batches: dict[tuple[str, int], list[PostToScore]] = defaultdict(list)
    for row in shard:
        batches[(row["scorer"], row["batch_no"])].append(
            PostToScore(row["post_id"], row["text"], tuple(row["tickers"]))
        )
    order = sorted(batches, key=lambda key: (key[1], key[0]))
    scorers = {name: make_scorer(name, ctx.settings) for name, _ in order}
    offline = scorers.get("offline") or make_scorer("offline", ctx.settings)
    by_post: dict[str, list[Row]] = {}
    tally = LlmTally()
    used = {s.version for s in scorers.values()}
    for name, scorer in scorers.items():
        own = [batches[key] for key in order if key[0] == name]
        if scorer.name == "llm":
            llm_rows, tally = score_llm(ctx, shard_no, scorer, own, offline)
            by_post.update(llm_rows)
            if tally.fallback:
                used.add(offline.version)
            continue
        for posts in own:
            for row in score_rows(scorer, posts, scorer.score_batch(posts)):
                by_post.setdefault(row["post_id"], []).append(row)
    rows = [row for key in order for post in batches[key] for row in by_post.get(post.post_id, [])]
    unanswered = {
        r["post_id"]: r["unscored_reason"]
        for r in rows
        if r["status"] == "unscored" and r["scorer"] == "llm"
    }
    if unanswered and ctx.retries_left > 0:
        # Answers already received are in the cache, so the retry pays only for these posts.
        raise ScoreIncomplete(
            f"{len(unanswered)} post(s) not answered by the LLM "
            f"(e.g. {next(iter(unanswered.values()))}); {ctx.retries_left} retries left, "
            "the last try stores them as unscored with the reason"
        )
    url = ctx.lake.write_table(
        paths.scores(ctx.interval, shard_no), pa.Table.from_pylist(rows, schema=SCORE_SCHEMA)
    )
    scored = sum(1 for r in rows if r["status"] == "scored")
    log.info(
        "score %s shard %s: in=%d posts, out=%d scored / %d unscored (post, ticker) rows, "
        "%d calls, %d+%d tokens ($%.6f), %d cache hits, %d offline for the budget",
        ctx.interval.key,
        shard_no,
        len(shard),
        scored,
        len(rows) - scored,
        tally.calls,
        tally.tokens_in,
        tally.tokens_out,
        tally.cost_usd,
        tally.cache_hits,
        tally.fallback,
    )
    return {
        "scores": url,
        "posts": len(shard),
        "scored": scored,
        "unscored": len(rows) - scored,
        "llm_calls": tally.calls,
        "tokens_in": tally.tokens_in,
        "tokens_out": tally.tokens_out,
        "cost_usd": tally.cost_usd,
        "cache_hits": tally.cache_hits,
        "cache_stored": tally.cache_stored,
        "llm_fallback": tally.fallback,
        "rate_limited": tally.rate_limited,
        "retries": tally.retries,
        "scorer_version": ",".join(sorted(used)) or ctx.params.scorer,
    }
