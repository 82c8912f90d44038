"""The LLM call trace (tickerpulse.llm_calls): tokens, cost, status and latency of every call.

A trace is history, not pipeline output: a re-run adds rows (see OPS_TABLES). It is written only
when the warehouse sink is on.
"""

from __future__ import annotations

from datetime import datetime

from tickerpulse.config import Settings
from tickerpulse.scoring.base import BatchResult
from tickerpulse.scoring.cost import Price
from tickerpulse.warehouse.db import connect
from tickerpulse.warehouse.queries import query


def write_calls(
    settings: Settings,
    run_key: str,
    interval_start: datetime,
    shard_no: int,
    model: str | None,
    price: Price,
    results: list[BatchResult],
) -> None:
    """One row per call the batches made (re-asks included), in the order they were made."""
    calls = [c for r in results for c in r.call_log]
    if not calls or not settings.warehouse_on:
        return
    with connect(settings) as conn, conn.cursor() as cur:
        cur.execute(
            query("llm_insert_calls"),
            {
                "run_key": run_key,
                "interval_start": interval_start,
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
