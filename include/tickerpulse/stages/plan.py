"""Task `plan_batches`: pack the posts to score into token-bounded batches, grouped into shards.

Each shard is written to the lake and only its URL goes through XCom; the `score` task is mapped
over the shard list. The shard count is capped (TICKERPULSE_MAX_SHARDS, default 64), so the map
length stays far below Airflow's max_map_length of 1024 even at 208,000 posts per interval: more
posts make shards larger, not more numerous.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

import pyarrow as pa

from tickerpulse.batching import Batch, group_into_shards, pack_batches
from tickerpulse.choices import Scorer
from tickerpulse.market_calendar import scoring_mode
from tickerpulse.schema_filtered import KEPT_SCHEMA
from tickerpulse.stages import paths
from tickerpulse.stages.context import StageContext
from tickerpulse.stages.contracts import FilterOut, ShardRef
from tickerpulse.tokens import count_tokens, encoder

log = logging.getLogger(__name__)

PER_ITEM_OVERHEAD = 12  # JSON keys, id and ticker list around each post in the request

SHARD_SCHEMA = pa.schema(
    [
        pa.field("post_id", pa.string(), nullable=False),
        pa.field("batch_no", pa.int64(), nullable=False),
        pa.field("text", pa.string(), nullable=False),
        pa.field("tickers", pa.list_(pa.string()), nullable=False),
        pa.field("tokens", pa.int64(), nullable=False),
        pa.field("truncated", pa.bool_(), nullable=False),
        pa.field("scorer", pa.string(), nullable=False),  # offline | llm, decided per post here
    ]
)


def truncate_to_tokens(text: str, max_tokens: int) -> str:
    enc = encoder()
    return enc.decode(enc.encode(text, disallowed_special=())[:max_tokens])


def in_llm_sample(post_id: str, rate: float) -> bool:
    """A stable sample: the same post is in or out on every run."""
    return int(hashlib.sha256(post_id.encode()).hexdigest()[:8], 16) / 2**32 < rate


def scorer_for_posts(ctx: StageContext, post_ids: list[str]) -> dict[str, str]:
    """Which scorer each post gets. With the LLM chosen, the `llm_policy` param may turn it off
    (or down to a sample, TICKERPULSE_LLM_SAMPLE_RATE, default 0.1) outside market hours."""
    if ctx.params.scorer != Scorer.LLM:
        return dict.fromkeys(post_ids, ctx.params.scorer)
    mode = scoring_mode(ctx.interval.start, ctx.interval.end, ctx.params.llm_policy)
    llm, offline = Scorer.LLM.value, Scorer.OFFLINE.value
    if mode == "sample":
        rate = ctx.settings.llm_sample_rate
        return {pid: llm if in_llm_sample(pid, rate) else offline for pid in post_ids}
    return dict.fromkeys(post_ids, llm if mode == "llm" else offline)


def run(ctx: StageContext, filter_out: FilterOut) -> list[ShardRef]:
    kept = ctx.lake.read_table(filter_out["kept"], KEPT_SCHEMA).to_pylist()
    to_score = [k for k in kept if k["tickers"]]
    limit = ctx.settings.token_budget - PER_ITEM_OVERHEAD
    prepared: dict[str, dict[str, Any]] = {}
    for post in to_score:
        text, tokens, truncated = post["text"], count_tokens(post["text"]), False
        if tokens > limit:
            text, truncated = truncate_to_tokens(text, limit), True
            tokens = count_tokens(text)
        prepared[post["post_id"]] = {
            "text": text,
            "tickers": post["tickers"],
            "tokens": tokens,
            "truncated": truncated,
        }
    scorers = scorer_for_posts(ctx, list(prepared))
    batches: list[Batch] = []
    for name in sorted(set(scorers.values())):  # a batch never mixes scorers
        for batch in pack_batches(
            [(pid, p["tokens"]) for pid, p in prepared.items() if scorers[pid] == name],
            budget_tokens=ctx.settings.token_budget,
            max_items=ctx.settings.max_items_per_batch,
            per_item_overhead=PER_ITEM_OVERHEAD,
        ):
            batch.batch_no = len(batches)
            batches.append(batch)
    shards = group_into_shards(batches, max_shards=ctx.settings.max_shards)
    refs: list[ShardRef] = []
    for shard_no, shard in enumerate(shards):
        rows = [
            {"post_id": pid, "batch_no": batch.batch_no, "scorer": scorers[pid], **prepared[pid]}
            for batch in shard
            for pid in batch.post_ids
        ]
        url = ctx.lake.write_table(
            paths.shard(ctx.interval, shard_no), pa.Table.from_pylist(rows, schema=SHARD_SCHEMA)
        )
        refs.append({"shard_no": shard_no, "shard": url, "posts": len(rows)})
    log.info(
        "plan_batches %s: in=%d posts to score, %d batches, %d shards, %d truncated",
        ctx.interval.key,
        len(prepared),
        len(batches),
        len(refs),
        sum(p["truncated"] for p in prepared.values()),
    )
    return refs
