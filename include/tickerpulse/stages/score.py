"""Task `score` (mapped over shards): sentiment per (post, ticker) for one shard.

Every post sent comes back as one row per ticker, scored or unscored with a reason: a post that the
scorer did not answer for is written as unscored, never left out. While the task has Airflow
retries left, a post the LLM did not answer (endpoint down, answer invalid after the re-asks)
fails the task instead (ScoreIncomplete); the answers already received are cached, so the retry
asks only for the missing posts, and only the last try stores them as unscored.

LLM batches go through the answer cache, the run's spend cap and the call trace: all of that is
`tickerpulse.scoring.llm_shard`; this module is the stage only.
"""

from __future__ import annotations

import logging
from collections import defaultdict

import pyarrow as pa

from tickerpulse.schema import SCORE_SCHEMA
from tickerpulse.scoring.base import PostToScore
from tickerpulse.scoring.factory import make_scorer
from tickerpulse.scoring.llm_shard import LlmTally, score_llm
from tickerpulse.scoring.rows import Row, score_rows
from tickerpulse.stages import paths
from tickerpulse.stages.context import StageContext
from tickerpulse.stages.contracts import ScoreOut, ShardRef
from tickerpulse.stages.plan import SHARD_SCHEMA

log = logging.getLogger(__name__)


class ScoreIncomplete(RuntimeError):
    """Some posts came back unscored and the task has tries left: fail so Airflow retries."""


def run(ctx: StageContext, shard_ref: ShardRef) -> ScoreOut:
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
            llm_rows, tally = score_llm(
                ctx.settings, ctx.run_key, ctx.interval, shard_no, scorer, own, offline
            )
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
