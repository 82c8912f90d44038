"""Task `filter`: noise filters and ticker extraction.

Order matters and is fixed, so that a re-run gives the same answer: rows are sorted by
(created_utc, post_id); bots are removed first, then exact duplicates (SHA-256 of the normalised
text), then near duplicates (SimHash), each against earlier rows of this interval and against posts
loaded in the 24 hours before it, looked up in the warehouse's dedupe index by this interval's own
hashes and banded keys (tickerpulse.dedupe_store). Every dropped row is written with its reason.

Short texts ("🚀🚀🚀", "GME!") from *different* authors are independent voices, not spam, so an
exact duplicate needs either the same author or a text of at least MIN_SPAM_WORDS words.
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any

import pyarrow as pa

from tickerpulse.author_hash import author_hash
from tickerpulse.bots import bot_reason
from tickerpulse.dedupe import NO_SIMHASH, NearDuplicateIndex, fingerprints
from tickerpulse.dedupe_store import History, lookup
from tickerpulse.schema import RAW_POST_SCHEMA
from tickerpulse.schema_filtered import DROPPED_SCHEMA, KEPT_SCHEMA
from tickerpulse.stages import paths
from tickerpulse.stages.context import StageContext
from tickerpulse.symbols import SymbolTable
from tickerpulse.symbols_history import symbol_table_for
from tickerpulse.tickers import TickerExtractor
from tickerpulse.warehouse.db import connect
from tickerpulse.warehouse.migrate import migrate

log = logging.getLogger(__name__)

MIN_SPAM_WORDS = 6


def symbol_table(ctx: StageContext) -> SymbolTable:
    """The exchange directory the maintenance DAG loaded into the warehouse, else (offline demo,
    fresh warehouse) the packaged list, with the days each symbol traded."""
    return symbol_table_for(ctx.settings)


def post_text(title: Any, body: Any) -> str:
    parts = [p for p in (title, body) if isinstance(p, str) and p.strip()]
    return "\n\n".join(parts)


def _history(ctx: StageContext, hashes: list[str], sims: list[int]) -> History:
    """What the 24 hours before this interval know about these hashes and SimHashes: looked up
    in the warehouse's dedupe index (tickerpulse.dedupe_store), not fetched wholesale."""
    k = ctx.settings.near_duplicate_k
    if not ctx.settings.warehouse_on:
        return History({}, NearDuplicateIndex(k=k), 0)
    migrate(ctx.settings)
    with connect(ctx.settings) as conn, conn.cursor() as cur:
        return lookup(cur, ctx.interval.start, hashes, sims, k)


def run(ctx: StageContext, validate_out: dict[str, Any]) -> dict[str, Any]:
    table = ctx.lake.read_table(validate_out["valid"], RAW_POST_SCHEMA)
    rows = sorted(table.to_pylist(), key=lambda r: (r["created_utc"], r["id"]))
    extractor = TickerExtractor(symbol_table(ctx), ctx.settings.ignored_aliases)
    per_author = Counter(r["author"] for r in rows)
    salt = ctx.settings.author_salt
    # Fingerprints first, in one batch (bots need none), so the history lookup asks for exactly
    # these hashes and keys.
    texts = [post_text(r["title"], r["body"]) for r in rows]
    authors = [author_hash(r["author"], salt) for r in rows]
    bot_reasons = [
        bot_reason(
            r["author"],
            r["author_created_utc"],
            r["author_karma"],
            per_author[r["author"]],
            at=r["created_utc"],
        )
        for r in rows
    ]
    live = [i for i, reason in enumerate(bot_reasons) if not reason]
    live_hashes, live_sims = fingerprints([texts[i] for i in live])
    c_hashes, sims = [""] * len(rows), [NO_SIMHASH] * len(rows)
    for i, c_hash, sim in zip(live, live_hashes, live_sims, strict=True):
        c_hashes[i], sims[i] = c_hash, sim
    history = _history(ctx, live_hashes, live_sims)
    seen_hashes, near = history.hashes, history.near

    kept: list[dict[str, Any]] = []
    dropped: list[dict[str, Any]] = []
    for r, text, a_hash, reason, c_hash, sim in zip(
        rows, texts, authors, bot_reasons, c_hashes, sims, strict=True
    ):
        if reason:
            dropped.append({"post_id": r["id"], "reason": reason, "duplicate_of": None})
            continue
        prior = seen_hashes.get(c_hash)
        if prior is not None and (prior[1] == a_hash or len(text.split()) >= MIN_SPAM_WORDS):
            dropped.append({"post_id": r["id"], "reason": "duplicate", "duplicate_of": prior[0]})
            continue
        near_of = near.find(sim)
        if near_of is not None:
            dropped.append(
                {"post_id": r["id"], "reason": "near_duplicate", "duplicate_of": near_of}
            )
            continue
        seen_hashes.setdefault(c_hash, (r["id"], a_hash))
        near.add(r["id"], sim)
        screened = extractor.screen(text, r["subreddit"], r["created_utc"])  # as of the post
        mentions = screened.kept
        kept.append(
            {
                "post_id": r["id"],
                "kind": r["kind"],
                "subreddit": r["subreddit"],
                "author_hash": a_hash,
                "author_name": r["author"] if ctx.settings.store_author_name else None,
                "title": r["title"],
                "body": r["body"],
                "text": text,
                "created_utc": r["created_utc"],
                "score": r["score"],
                "num_comments": r["num_comments"],
                "parent_id": r["parent_id"],
                "link_id": r["link_id"],
                "permalink": r["permalink"],
                "content_hash": c_hash,
                "simhash": sim,
                "tickers": [m.ticker for m in mentions],
                "mention_kinds": [m.how for m in mentions],
                "mention_weights": [float(m.weight) for m in mentions],
                "dropped_tickers": [d.ticker for d in screened.dropped],
                "dropped_ticker_reasons": [d.reason for d in screened.dropped],
            }
        )
    kept_url = ctx.lake.write_table(
        paths.filtered(ctx.interval), pa.Table.from_pylist(kept, schema=KEPT_SCHEMA)
    )
    dropped_url = ctx.lake.write_table(
        paths.dropped(ctx.interval), pa.Table.from_pylist(dropped, schema=DROPPED_SCHEMA)
    )
    reasons = Counter(d["reason"] for d in dropped)
    duplicates = reasons["duplicate"] + reasons["near_duplicate"]
    bots = sum(n for reason, n in reasons.items() if reason.startswith("bot:"))
    with_tickers = sum(1 for k in kept if k["tickers"])
    log.info(
        "filter %s: in=%d kept=%d with_tickers=%d dropped=%s",
        ctx.interval.key,
        len(rows),
        len(kept),
        with_tickers,
        dict(sorted(reasons.items())),
    )
    return {
        "kept": kept_url,
        "kept_count": len(kept),
        "with_tickers": with_tickers,
        "dropped": dropped_url,
        "duplicates": duplicates,
        "bots": bots,
        "dropped_by_reason": dict(sorted(reasons.items())),
        "history_rows_read": history.rows_read,
        "tickers": sorted({t for k in kept for t in k["tickers"]}),
        "mentions_dropped_by_reason": dict(
            sorted(Counter(r for k in kept for r in k["dropped_ticker_reasons"]).items())
        ),
    }
