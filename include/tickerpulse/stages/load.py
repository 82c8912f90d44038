"""Task `load`: the interval's rows into Postgres, in one transaction.

The interval's previous rows (posts and their sentiment, quarantine, dropped, run counts) are
deleted and the new ones copied in, inside one transaction: readers see the old interval or the
new one, never a mix, and a killed load leaves the old one. The counts row carries a CHECK that
extracted = loaded + quarantined + duplicates + bots, so a run that lost a post cannot commit.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Sequence

from tickerpulse.dedupe_store import write_interval as write_dedupe_keys
from tickerpulse.options_intent import OPTION_COLUMNS, intent
from tickerpulse.schema import QUARANTINE_SCHEMA, SCORE_SCHEMA
from tickerpulse.schema_filtered import DROPPED_SCHEMA, KEPT_SCHEMA
from tickerpulse.scoring.cost import cost_usd
from tickerpulse.stages.context import StageContext
from tickerpulse.stages.contracts import FilterOut, LoadOut, ScoreOut, ValidateOut
from tickerpulse.warehouse.copy import copy_rows
from tickerpulse.warehouse.db import connect
from tickerpulse.warehouse.migrate import migrate
from tickerpulse.warehouse.queries import query

log = logging.getLogger(__name__)

POST_COLUMNS = [
    "post_id",
    "kind",
    "subreddit",
    "author_hash",
    "author_name",
    "title",
    "body",
    "created_utc",
    "score",
    "num_comments",
    "parent_id",
    "permalink",
    "content_hash",
    "simhash",
    "tickers",
    "interval_start",
    "link_id",
]
SENTIMENT_COLUMNS = [
    "post_id",
    "ticker",
    "scorer_version",
    "status",
    "score",
    "label",
    "reasoning",
    "scorer",
    "model",
    "prompt_version",
    "unscored_reason",
    "tokens_in",
    "tokens_out",
    "fallback_reason",
    "mention_kind",
    "mention_weight",
    "interval_start",
    *OPTION_COLUMNS,
]


def run(
    ctx: StageContext,
    validate_out: ValidateOut,
    filter_out: FilterOut,
    score_outs: Sequence[ScoreOut],
) -> LoadOut:
    lake, start = ctx.lake, ctx.interval.start
    kept = lake.read_table(filter_out["kept"], KEPT_SCHEMA).to_pylist()
    quarantine = lake.read_table(validate_out["quarantine"], QUARANTINE_SCHEMA).to_pylist()
    dropped = lake.read_table(filter_out["dropped"], DROPPED_SCHEMA).to_pylist()
    scores = [
        r for out in score_outs for r in lake.read_table(out["scores"], SCORE_SCHEMA).to_pylist()
    ]

    mention = {
        (k["post_id"], t): (kind, w)
        for k in kept
        for t, kind, w in zip(k["tickers"], k["mention_kinds"], k["mention_weights"], strict=True)
    }
    for post in kept:
        post["interval_start"] = start
    by_id = {k["post_id"]: k for k in kept}
    for row in scores:
        row["mention_kind"], row["mention_weight"] = mention[(row["post_id"], row["ticker"])]
        row["interval_start"] = start
        k = by_id[row["post_id"]]
        row.update(intent(k["text"], row["ticker"], k["tickers"], k["created_utc"]).as_row())
    for row in quarantine:
        row["interval_start"], row["record_id"] = start, row["id"]
    for row in dropped:
        row["interval_start"] = start
    dropped_mentions = [  # tickers found but not counted (tickers.screen), with the reason
        {"interval_start": start, "post_id": k["post_id"], "ticker": ticker, "reason": why}
        for k in kept
        for ticker, why in zip(
            k["dropped_tickers"] or [], k["dropped_ticker_reasons"] or [], strict=True
        )
    ]

    tokens_in = sum(int(o["tokens_in"]) for o in score_outs)
    tokens_out = sum(int(o["tokens_out"]) for o in score_outs)
    llm_calls = sum(int(o["llm_calls"]) for o in score_outs)
    # Each score task prices its own calls (it knows the model); older outputs carry no cost.
    cost = round(
        sum(
            float(o["cost_usd"])
            if "cost_usd" in o
            else cost_usd(o["tokens_in"], o["tokens_out"], settings=ctx.settings)
            for o in score_outs
            if int(o["llm_calls"])
        )
        + 0.0,
        6,
    )
    versions = sorted({o["scorer_version"] for o in score_outs if o.get("posts")})
    result: LoadOut = {
        "interval_start": start.isoformat(),
        "interval_end": ctx.interval.end.isoformat(),
        "extracted": int(validate_out["extracted"]),
        "quarantined": len(quarantine),
        "duplicates": int(filter_out["duplicates"]),
        "bots": int(filter_out["bots"]),
        "loaded": len(kept),
        "with_tickers": int(filter_out["with_tickers"]),
        "scored": sum(1 for r in scores if r["status"] == "scored"),
        "unscored": sum(1 for r in scores if r["status"] == "unscored"),
        "llm_calls": llm_calls,
        "tokens_in": tokens_in,
        "tokens_out": tokens_out,
        "cost_usd": cost,
        "cache_hits": sum(int(o["cache_hits"]) for o in score_outs),
        "llm_fallback": sum(int(o.get("llm_fallback", 0)) for o in score_outs),
        "scorer_version": ",".join(versions) or ctx.params.scorer,
        "dq_docs_path": validate_out.get("docs_path"),
        "dropped_by_reason": json.dumps(
            dict(sorted(Counter(d["reason"] for d in dropped).items()))
        ),
        "quarantined_by_reason": json.dumps(
            dict(sorted(Counter(q["reason"] for q in quarantine).items()))
        ),
        "mentions_dropped_by_reason": json.dumps(
            dict(sorted(Counter(d["reason"] for d in dropped_mentions).items()))
        ),
    }
    if not ctx.settings.warehouse_on:
        log.warning(
            "load %s: warehouse sink off, nothing written; counts %s", ctx.interval.key, result
        )
        return result
    migrate(ctx.settings)
    with connect(ctx.settings) as conn, conn.cursor() as cur:
        params = {"interval_start": start}
        cur.execute(query("load_delete_interval"), params)
        cur.execute(query("load_create_staging"))
        copy_rows(cur, "stage_posts", POST_COLUMNS, kept)
        cur.execute(query("load_upsert_posts"))
        # the 24-hour dedupe index that the next intervals' filter looks up (dedupe_store)
        write_dedupe_keys(cur, start, ctx.settings.near_duplicate_k)
        copy_rows(cur, "tickerpulse.post_sentiment", SENTIMENT_COLUMNS, scores)
        copy_rows(
            cur,
            "tickerpulse.quarantine",
            ["interval_start", "subreddit", "record_no", "record_id", "reason", "raw_json"],
            quarantine,
        )
        copy_rows(
            cur,
            "tickerpulse.dropped",
            ["interval_start", "post_id", "reason", "duplicate_of"],
            dropped,
        )
        copy_rows(
            cur,
            "tickerpulse.dropped_mentions",
            ["interval_start", "post_id", "ticker", "reason"],
            dropped_mentions,
        )
        cur.execute(
            query("load_upsert_pipeline_run"),
            {**result, "interval_start": start, "interval_end": ctx.interval.end},
        )
    log.info(
        "load %s: extracted=%d -> loaded=%d quarantined=%d duplicates=%d bots=%d; "
        "sentiment rows=%d",
        ctx.interval.key,
        result["extracted"],
        result["loaded"],
        result["quarantined"],
        result["duplicates"],
        result["bots"],
        len(scores),
    )
    return result
