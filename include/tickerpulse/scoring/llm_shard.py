"""The LLM part of one score shard: the answer cache, the run's spend cap and the call trace.

LLM batches go through three guards, all backed by the warehouse (so all off when the warehouse
sink is off, except the budget, which then holds per task):

* the answer cache (tickerpulse.scoring.cache): posts already answered for this model and prompt
  are not sent, and their rows are rebuilt from the cache with the tokens first attributed to
  them, so a re-run of an interval makes no call and writes the same rows;
* the run's spend cap (tickerpulse.scoring.budget): posts the cap refused to send are scored by
  the offline scorer and their rows say so in `fallback_reason`;
* the call trace (tickerpulse.scoring.call_trace): tokens, cost, status and latency of every call.

It takes the settings, the run key and the interval rather than the stage context, so the
scoring layer does not depend on the stages above it.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass

from tickerpulse.config import Settings
from tickerpulse.intervals import Interval
from tickerpulse.scoring.base import BatchResult, PostToScore, Scorer, SpendGuard, TickerScore
from tickerpulse.scoring.budget import BUDGET_REACHED, PgSpendGuard, make_guard
from tickerpulse.scoring.cache import ScoreCache
from tickerpulse.scoring.call_trace import write_calls
from tickerpulse.scoring.cost import price_for
from tickerpulse.scoring.rows import Row, cached_rows, score_rows
from tickerpulse.warehouse.db import resolve_dsn

log = logging.getLogger(__name__)


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


def _score_llm_batches(
    scorer: Scorer, batches: list[list[PostToScore]], guard: SpendGuard | None
) -> list[BatchResult]:
    """All batches at once: bounded concurrency and one rate limiter inside the LLM scorer."""
    from tickerpulse.scoring.llm import LlmScorer  # only LLM batches come here

    if not isinstance(scorer, LlmScorer):
        raise TypeError(f"LLM batches need the LLM scorer, got {scorer.name!r}")
    return scorer.score_batches(batches, guard=guard)


def score_llm(
    settings: Settings,
    run_key: str,
    interval: Interval,
    shard_no: int,
    scorer: Scorer,
    batches: list[list[PostToScore]],
    offline: Scorer,
) -> tuple[dict[str, list[Row]], LlmTally]:
    """Rows per post id for the LLM batches of a shard: cache hits, answers, offline fallbacks."""
    tally = LlmTally()
    rows: dict[str, list[Row]] = {}
    model, prompt_version = scorer.model or "", scorer.prompt_version or ""
    price = price_for(scorer.model, settings)
    cache = ScoreCache(resolve_dsn(settings)) if settings.warehouse_on else None
    hits = cache.lookup([p for b in batches for p in b], model, prompt_version) if cache else {}
    by_id = {p.post_id: p for b in batches for p in b}
    for post_id, answer in hits.items():
        rows[post_id] = cached_rows(scorer, by_id[post_id], answer)
    tally.cache_hits = len(hits)

    misses = [[p for p in b if p.post_id not in hits] for b in batches]
    misses = [b for b in misses if b]
    guard = make_guard(settings, run_key, price) if misses else None
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
            interval.key,
            shard_no,
            len(over_budget),
        )
    write_calls(settings, run_key, interval.start, shard_no, scorer.model, price, results)
    return rows, tally
