"""Fixed Arrow schemas of the lake zones.

The raw zone keeps every record that entered a run, including ones that do not parse, so that the
count of what came in can always be reconciled against what was loaded, quarantined or dropped.
Fields are therefore nullable, and the original JSON travels beside the typed columns.
"""

from __future__ import annotations

import pyarrow as pa

TS = pa.timestamp("us", tz="UTC")

RAW_POST_SCHEMA = pa.schema(
    [
        pa.field("record_no", pa.int64(), nullable=False),  # position in the extract, stable key
        pa.field("id", pa.string()),  # Reddit fullname: t3_… (post) or t1_… (comment)
        pa.field("kind", pa.string()),  # "post" | "comment"
        pa.field("subreddit", pa.string(), nullable=False),
        pa.field("author", pa.string()),
        pa.field("author_created_utc", TS),
        pa.field("author_karma", pa.int64()),
        pa.field("title", pa.string()),
        pa.field("body", pa.string()),
        pa.field("created_utc", TS),
        pa.field("score", pa.int64()),
        pa.field("num_comments", pa.int64()),
        pa.field("parent_id", pa.string()),  # comments: the post (t3_) or comment (t1_) replied to
        pa.field("permalink", pa.string()),
        pa.field("raw_json", pa.string(), nullable=False),  # the record as the source gave it
        pa.field("parse_error", pa.string()),  # why a field could not be typed, or null
        # Comments: the thread (t3_ fullname) they belong to, whatever comment they reply to.
        # Last, so raw partitions written before it existed read back with it null.
        pa.field("link_id", pa.string()),
    ]
)

QUARANTINE_SCHEMA = pa.schema(
    [
        pa.field("record_no", pa.int64(), nullable=False),
        pa.field("subreddit", pa.string(), nullable=False),
        pa.field("id", pa.string()),
        pa.field("reason", pa.string(), nullable=False),
        pa.field("raw_json", pa.string(), nullable=False),
    ]
)

SCORE_SCHEMA = pa.schema(
    [
        pa.field("post_id", pa.string(), nullable=False),
        pa.field("ticker", pa.string(), nullable=False),
        pa.field("status", pa.string(), nullable=False),  # "scored" | "unscored"
        pa.field("score", pa.float64()),
        pa.field("label", pa.string()),
        pa.field("reasoning", pa.string()),
        pa.field("scorer", pa.string(), nullable=False),
        pa.field("scorer_version", pa.string(), nullable=False),
        pa.field("model", pa.string()),
        pa.field("prompt_version", pa.string()),
        pa.field("unscored_reason", pa.string()),
        pa.field("tokens_in", pa.int64(), nullable=False),
        pa.field("tokens_out", pa.int64(), nullable=False),
        # Why the offline scorer scored a row the run asked the LLM for ("llm budget reached").
        pa.field("fallback_reason", pa.string()),
    ]
)
