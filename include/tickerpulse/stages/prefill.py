"""DAG `llm_batch_prefill`: fill the LLM score cache for past intervals at Batch API price.

The posts come from the shards `plan_batches` already wrote for each interval (any earlier run,
offline included, leaves them): their text is exactly what the online scorer would send, already
truncated to the token budget, so a post answered here is a cache hit when `reddit_sentiment`
later runs the same interval with scorer=llm. Posts already in the cache are not asked again.

plan -> submit -> (sensor waits) -> collect. Only small dicts go through XCom; the requests, the
input file and the raw output files live in the lake under `llm_batch/<range>/`, so every cached
score can be traced back to the batch line that produced it.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from tickerpulse.choices import LlmPolicy, Scorer
from tickerpulse.config import Settings
from tickerpulse.connections import get_connection
from tickerpulse.intervals import INTERVAL, Interval, floor_to_interval
from tickerpulse.lake import Lake
from tickerpulse.scoring import batch_api
from tickerpulse.scoring.base import PostToScore
from tickerpulse.scoring.cache import ScoreCache, content_key
from tickerpulse.scoring.cost import cost_usd
from tickerpulse.scoring.llm import LlmScorer, looks_like_injection
from tickerpulse.stages import paths
from tickerpulse.stages.context import RunParams, StageContext
from tickerpulse.stages.plan import PER_ITEM_OVERHEAD, SHARD_SCHEMA, scorer_for_posts
from tickerpulse.warehouse.db import resolve_dsn

log = logging.getLogger(__name__)

MAX_REQUESTS = 50_000  # the Batch API's limit per batch
MAX_INPUT_BYTES = 200 * 1024 * 1024  # and its input file size limit
REUSABLE = frozenset({"validating", "in_progress", "finalizing", "completed"})

REQUESTS_SCHEMA = pa.schema(
    [
        pa.field("custom_id", pa.string(), nullable=False),
        pa.field("post_id", pa.string(), nullable=False),
        pa.field("text", pa.string(), nullable=False),
        pa.field("tickers", pa.list_(pa.string()), nullable=False),
    ]
)


def intervals_between(start: str, end: str) -> list[Interval]:
    """The 30-minute intervals in [start, end); both ends must be on a half-hour boundary."""
    begin, finish = _parse(start), _parse(end)
    if floor_to_interval(begin) != begin or floor_to_interval(finish) != finish:
        raise ValueError(f"start and end must be on :00 or :30, got {start!r} and {end!r}")
    if finish <= begin:
        raise ValueError(f"end must be after start, got {start!r} .. {end!r}")
    out = []
    while begin < finish:
        out.append(Interval(begin, begin + INTERVAL))
        begin += INTERVAL
    return out


def range_dir(intervals: Sequence[Interval]) -> str:
    first, last = intervals[0].start, intervals[-1].end
    return f"llm_batch/from={first:%Y-%m-%dT%H%M}_to={last:%Y-%m-%dT%H%M}"


def posts_in_shards(
    settings: Settings, intervals: Sequence[Interval], llm_policy: str = LlmPolicy.ALWAYS
) -> tuple[list[tuple[PostToScore, int]], list[str]]:
    """(post, tokens) the LLM would score in each interval's shards, and the intervals that
    have no shards. `llm_policy` picks posts as a run with scorer=llm and that policy would, so
    a backfill that keeps the LLM off outside market hours is not prefilled for those hours."""
    lake = Lake(settings.lake_url)
    params = RunParams.from_params({"scorer": Scorer.LLM, "llm_policy": llm_policy}, settings)
    posts: list[tuple[PostToScore, int]] = []
    missing = []
    for interval in intervals:
        shard_dir = paths.shard(interval, 0).rsplit("/", 1)[0]
        urls = [u for u in lake.list(shard_dir) if u.endswith(".parquet")]
        if not urls:
            missing.append(interval.key)
        rows = [r for url in urls for r in lake.read_table(url, SHARD_SCHEMA).to_pylist()]
        chosen = scorer_for_posts(
            StageContext(interval, params, settings), [r["post_id"] for r in rows]
        )
        posts.extend(
            (PostToScore(r["post_id"], r["text"], tuple(r["tickers"])), int(r["tokens"]))
            for r in rows
            if chosen[r["post_id"]] == "llm"
        )
    return posts, missing


def _llm_connection(settings: Settings) -> dict[str, Any]:
    conn = get_connection(settings.llm_conn_id, settings)
    if conn is None:
        raise RuntimeError(
            f"the batch prefill needs the Airflow connection {settings.llm_conn_id!r} "
            '(host=base URL, password=API key, extra {"model": ...}); see .env.example'
        )
    return conn


def plan(
    settings: Settings, start: str, end: str, llm_policy: str = LlmPolicy.ALWAYS
) -> dict[str, Any]:
    """Write the requests for every uncached post of [start, end) to the lake."""
    intervals = intervals_between(start, end)
    lake, folder = Lake(settings.lake_url), range_dir(intervals)
    scorer = LlmScorer.from_connection(_llm_connection(settings))
    model, prompt_version = str(scorer.model), str(scorer.prompt_version)
    found, missing = posts_in_shards(settings, intervals, llm_policy)
    if missing:
        log.warning(
            "%d of %d intervals have no shards (run reddit_sentiment over them first, "
            "scorer=offline is enough): %s",
            len(missing),
            len(intervals),
            ", ".join(missing[:10]),
        )
    unique: dict[str, tuple[PostToScore, int]] = {}
    for post, tokens in found:
        if post.tickers:  # the same text and tickers is asked once: the cache key is the content
            unique.setdefault(content_key(post), (post, tokens))
    cached = ScoreCache(resolve_dsn(settings)).lookup(
        [p for p, _ in unique.values()], model, prompt_version
    )
    todo = [(p, t) for p, t in unique.values() if p.post_id not in cached]
    if not settings.sink_llm_scoring:
        log.warning("LLM scoring is switched off (sink llm_scoring): nothing is submitted")
        todo = []
    requests = batch_api.plan_requests(
        todo,
        budget_tokens=settings.token_budget,
        max_items=settings.max_items_per_batch,
        per_item_overhead=PER_ITEM_OVERHEAD,
        alone=lambda post: scorer.isolate_suspicious and looks_like_injection(post.text),
    )
    if len(requests) > MAX_REQUESTS:
        raise ValueError(
            f"{len(requests)} requests exceed the Batch API's {MAX_REQUESTS} per batch: "
            "prefill a shorter range"
        )
    jsonl = batch_api.input_jsonl(requests, scorer.request_body)
    if len(jsonl) > MAX_INPUT_BYTES:
        raise ValueError(f"the input file is {len(jsonl)} bytes: prefill a shorter range")
    rows = [
        {"custom_id": r.custom_id, "post_id": p.post_id, "text": p.text, "tickers": list(p.tickers)}
        for r in requests
        for p in r.posts
    ]
    manifest = lake.write_table(
        f"{folder}/requests.parquet", pa.Table.from_pylist(rows, schema=REQUESTS_SCHEMA)
    )
    input_url = lake.write_bytes(f"{folder}/input.jsonl", jsonl)
    out = {
        "range": folder,
        "intervals": len(intervals),
        "intervals_without_shards": len(missing),
        "posts": len(found),
        "unique_posts": len(unique),
        "already_cached": len(cached),
        "to_ask": len(todo),
        "requests": len(requests),
        "model": model,
        "prompt_version": prompt_version,
        "manifest": manifest,
        "input": input_url,
        "input_sha256": hashlib.sha256(jsonl).hexdigest(),
    }
    log.info(
        "prefill plan %s: in=%d posts in %d intervals (%d unique), %d already cached, "
        "out=%d posts to ask in %d requests",
        folder,
        len(found),
        len(intervals),
        len(unique),
        len(cached),
        len(todo),
        len(requests),
    )
    return out


def submit(settings: Settings, plan_out: dict[str, Any]) -> dict[str, Any]:
    """Submit the planned input, or find the batch a previous try of this task submitted.

    The batch id is written next to the input as soon as the batch exists, so a retry after a
    crash reuses a live or completed batch for the same input instead of paying for it twice.
    """
    ref: dict[str, Any] = {
        "batch_id": None,
        "conn_id": settings.llm_conn_id,
        "poll_interval": settings.batch_poll_seconds,
    }
    if not plan_out["requests"]:
        log.info("prefill submit: nothing to ask, no batch submitted")
        return ref
    client = batch_api.client_from_connection(_llm_connection(settings))
    lake = Lake(settings.lake_url)
    marker = f"{plan_out['range']}/batch.json"
    if lake.exists(marker):
        previous = json.loads(lake.read_bytes(marker))
        if previous.get("input_sha256") == plan_out["input_sha256"]:
            batch = client.batches.retrieve(previous["batch_id"])
            if batch.status in REUSABLE:
                log.info("prefill submit: reusing %s", batch_api.describe(batch))
                return {**ref, "batch_id": batch.id}
    batch_id = batch_api.submit(
        client,
        lake.read_bytes(plan_out["input"]),
        {"tickerpulse": "llm_batch_prefill", "range": plan_out["range"]},
    )
    lake.write_bytes(
        marker,
        json.dumps({"batch_id": batch_id, "input_sha256": plan_out["input_sha256"]}).encode(),
    )
    return {**ref, "batch_id": batch_id}


def collect(
    settings: Settings, plan_out: dict[str, Any], submit_out: dict[str, Any]
) -> dict[str, Any]:
    """Match the batch's answers to the requests, cache the valid ones, count the rest."""
    result: dict[str, Any] = {
        "batch_id": submit_out.get("batch_id"),
        "requests": plan_out["requests"],
        "posts_asked": plan_out["to_ask"],
        "cached": 0,
        "not_cached": 0,
        "failed_requests": 0,
        "missing_requests": 0,
        "unknown_lines": 0,
        "tokens_in": 0,
        "tokens_out": 0,
        "cost_usd": 0.0,
        "reasons": {},
    }
    if not submit_out.get("batch_id"):
        return result
    lake = Lake(settings.lake_url)
    requests: dict[str, list[PostToScore]] = {}
    for row in lake.read_table(plan_out["manifest"], REQUESTS_SCHEMA).to_pylist():
        requests.setdefault(row["custom_id"], []).append(
            PostToScore(row["post_id"], row["text"], tuple(row["tickers"]))
        )
    conn = _llm_connection(settings)
    scorer = LlmScorer.from_connection(conn)
    if (scorer.model, scorer.prompt_version) != (plan_out["model"], plan_out["prompt_version"]):
        raise RuntimeError(
            f"the connection now names {scorer.version}, the batch was planned for "
            f"{plan_out['model']}@{plan_out['prompt_version']}: its answers would be cached "
            "under the wrong key"
        )
    collected, output, errors = batch_api.collect(
        batch_api.client_from_connection(conn),
        submit_out["batch_id"],
        requests,
        scorer.check_answer,
    )
    lake.write_bytes(f"{plan_out['range']}/output.jsonl", output)
    lake.write_bytes(f"{plan_out['range']}/errors.jsonl", errors)
    stored = ScoreCache(resolve_dsn(settings)).store(
        collected.answers, plan_out["model"], plan_out["prompt_version"]
    )
    reasons: dict[str, int] = {}
    for reason in collected.problems.values():
        reasons[reason] = reasons.get(reason, 0) + 1
    result.update(
        cached=stored,
        not_cached=len(collected.problems),
        failed_requests=collected.failed_requests,
        missing_requests=collected.missing_requests,
        unknown_lines=collected.unknown_lines,
        tokens_in=collected.tokens_in,
        tokens_out=collected.tokens_out,
        cost_usd=round(
            cost_usd(collected.tokens_in, collected.tokens_out, settings=settings)
            * batch_api.BATCH_DISCOUNT,
            6,
        ),
        reasons=reasons,
    )
    log.info(
        "prefill collect %s: in=%d posts asked in %d requests, out=%d answers cached, "
        "%d posts not cached (left to the online backfill): %s; %d failed and %d missing "
        "requests; %d+%d tokens, $%.6f at batch price",
        submit_out["batch_id"],
        plan_out["to_ask"],
        plan_out["requests"],
        stored,
        len(collected.problems),
        reasons,
        collected.failed_requests,
        collected.missing_requests,
        collected.tokens_in,
        collected.tokens_out,
        result["cost_usd"],
    )
    return result


def _parse(value: str) -> datetime:
    """An ISO date-time; one without a zone is UTC, like every interval in the pipeline."""
    moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
