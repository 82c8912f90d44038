"""Task `validate`: Great Expectations on the interval's raw batch.

Rows that fail a row-level check go to the quarantine partition with their reason; a batch-level
failure (schema drift, too much garbage) raises and fails the task loudly. Every run writes a Data
Docs page and one row per expectation to `tickerpulse.dq_results`.

A quarantined record keeps its original JSON, except that the author's name is replaced by the
same salted hash `posts.author_hash` holds: the warehouse never stores Reddit user names. The raw
zone of the lake keeps the record verbatim, so a replay still sees what Reddit sent.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pandas as pd
import pyarrow as pa

from tickerpulse.author_hash import author_hash
from tickerpulse.schema import QUARANTINE_SCHEMA, RAW_POST_SCHEMA
from tickerpulse.stages import paths
from tickerpulse.stages.context import StageContext
from tickerpulse.stages.contracts import ExtractOut, ValidateOut
from tickerpulse.validate import BatchValidationError, validate_raw
from tickerpulse.warehouse.db import connect
from tickerpulse.warehouse.migrate import migrate
from tickerpulse.warehouse.queries import query

log = logging.getLogger(__name__)


def _read_raw(ctx: StageContext, raw_urls: list[str]) -> pd.DataFrame:
    tables = [ctx.lake.read_table(url, RAW_POST_SCHEMA) for url in raw_urls]
    table = pa.concat_tables(tables) if tables else RAW_POST_SCHEMA.empty_table()
    return table.to_pandas(types_mapper=pd.ArrowDtype)


def run(ctx: StageContext, extract_out: ExtractOut) -> ValidateOut:
    df = _read_raw(ctx, extract_out["raw"])
    # record_no is unique per subreddit partition; give the validator a batch-wide key and
    # restore the original afterwards.
    original_no = df["record_no"].astype("int64").tolist()
    df = df.reset_index(drop=True)
    df["record_no"] = pd.Series(range(len(df)), dtype=df["record_no"].dtype)
    run_key = f"{ctx.interval.start:%Y-%m-%dT%H%M}"
    try:
        outcome = validate_raw(
            df, ctx.interval.start, ctx.interval.end, ctx.settings.docs_dir, run_key
        )
    except BatchValidationError as failure:
        # The batch is rejected, but what was checked is still recorded and the docs still built.
        _store_results(ctx, failure.results, failure.docs_path)
        raise
    valid = outcome.valid.copy()
    valid["record_no"] = [original_no[int(i)] for i in valid["record_no"]]
    quarantine = outcome.quarantine.copy()
    quarantine["record_no"] = [original_no[int(i)] for i in quarantine["record_no"]]
    salt = ctx.settings.author_salt
    quarantine["raw_json"] = pd.Series(
        [pseudonymise(text, salt) for text in quarantine["raw_json"].tolist()],
        dtype=quarantine["raw_json"].dtype,
    )

    lake = ctx.lake
    valid_url = lake.write_table(
        paths.validated(ctx.interval),
        pa.Table.from_pandas(
            valid, schema=RAW_POST_SCHEMA, preserve_index=False
        ).replace_schema_metadata(),
    )
    quarantine_url = lake.write_table(
        paths.quarantine(ctx.interval),
        pa.Table.from_pandas(
            quarantine[QUARANTINE_SCHEMA.names], schema=QUARANTINE_SCHEMA, preserve_index=False
        ).replace_schema_metadata(),
    )
    _store_results(ctx, outcome.results, outcome.docs_path)
    log.info(
        "validate %s: in=%d valid=%d quarantined=%d docs=%s",
        ctx.interval.key,
        len(df),
        len(valid),
        len(quarantine),
        outcome.docs_path,
    )
    return {
        "extracted": int(extract_out["extracted"]),
        "valid": valid_url,
        "valid_count": len(valid),
        "quarantine": quarantine_url,
        "quarantined": len(quarantine),
        "docs_path": outcome.docs_path,
    }


AUTHOR_KEYS = ("author", "author_fullname")


def pseudonymise(raw_json: str, salt: str) -> str:
    """The record's JSON with each author field replaced by `<field>_hash`; text that is not a JSON
    object (an unparseable line) is kept as it is."""
    try:
        record = json.loads(raw_json)
    except ValueError:
        return raw_json
    if not isinstance(record, dict) or not any(k in record for k in AUTHOR_KEYS):
        return raw_json
    for key in AUTHOR_KEYS:
        if key in record:
            value = record.pop(key)
            record[f"{key}_hash"] = author_hash(value, salt) if isinstance(value, str) else None
    return json.dumps(record, ensure_ascii=False, sort_keys=True)


def _store_results(ctx: StageContext, results: list[dict[str, Any]], docs: str | None) -> None:
    if not ctx.settings.warehouse_on:
        return
    migrate(ctx.settings)
    rows = [
        {
            "interval_start": ctx.interval.start,
            "suite": r["suite"],
            "expectation": r["expectation"],
            "column_name": r.get("column_name") or "",
            "success": bool(r["success"]),
            "element_count": r.get("element_count"),
            "unexpected_count": r.get("unexpected_count"),
            "details": json.dumps(r.get("details") or {}, sort_keys=True, default=str),
            "docs_path": docs,
        }
        for r in results
    ]
    with connect(ctx.settings) as conn, conn.cursor() as cur:
        cur.execute(query("delete_dq_results"), {"interval_start": ctx.interval.start})
        if rows:
            cur.executemany(query("insert_dq_result"), rows)
