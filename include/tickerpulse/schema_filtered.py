"""Arrow schemas of the filter stage's outputs (kept posts with their mentions, dropped posts)."""

from __future__ import annotations

import pyarrow as pa

from tickerpulse.schema import TS

KEPT_SCHEMA = pa.schema(
    [
        pa.field("post_id", pa.string(), nullable=False),
        pa.field("kind", pa.string(), nullable=False),
        pa.field("subreddit", pa.string(), nullable=False),
        pa.field("author_hash", pa.string()),
        pa.field("author_name", pa.string()),  # only with TICKERPULSE_STORE_AUTHOR_NAME on
        pa.field("title", pa.string()),
        pa.field("body", pa.string()),
        pa.field("text", pa.string(), nullable=False),  # what the scorer sees
        pa.field("created_utc", TS, nullable=False),
        pa.field("score", pa.int64()),
        pa.field("num_comments", pa.int64()),
        pa.field("parent_id", pa.string()),
        pa.field("permalink", pa.string()),
        pa.field("content_hash", pa.string(), nullable=False),
        pa.field("simhash", pa.int64(), nullable=False),
        pa.field("tickers", pa.list_(pa.string()), nullable=False),
        pa.field("mention_kinds", pa.list_(pa.string()), nullable=False),
        pa.field("mention_weights", pa.list_(pa.float64()), nullable=False),
        pa.field("link_id", pa.string()),  # comments: the thread they belong to
        # Tickers found in the text but not counted, and why (tickers.screen): not trading on
        # the post's day, or named only by an alias the subreddit gives another meaning.
        pa.field("dropped_tickers", pa.list_(pa.string())),
        pa.field("dropped_ticker_reasons", pa.list_(pa.string())),
    ]
)

DROPPED_SCHEMA = pa.schema(
    [
        pa.field("post_id", pa.string(), nullable=False),
        pa.field("reason", pa.string(), nullable=False),
        pa.field("duplicate_of", pa.string()),
    ]
)
