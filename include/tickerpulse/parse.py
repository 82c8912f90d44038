"""Turn a source record into a typed raw-zone row without ever throwing it away.

Reddit (and recordings of it) can hand us anything: a score that is a string, a body that is a list,
a timestamp that says "yesterday", NUL bytes, lone surrogates. The parser types what it can, nulls
what it cannot, and writes why into `parse_error`; validation then quarantines the row with that
reason. The original record is kept verbatim (as JSON) so nothing is lost and everything can be
replayed.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from typing import Any

from tickerpulse.schema import RAW_POST_SCHEMA

_KIND_BY_PREFIX = {"t3": "post", "t1": "comment"}
MAX_TEXT_CHARS = 40_000  # Reddit's own limit for a self post body


def clean_text(value: str) -> str:
    """Remove NUL bytes and lone surrogates, which Postgres and Parquet reject."""
    if "\x00" in value:
        value = value.replace("\x00", "")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        value = value.encode("utf-8", "replace").decode("utf-8")
    return value


def _json_default(value: Any) -> str:
    return repr(value)


def raw_json(record: Any) -> str:
    text = json.dumps(record, ensure_ascii=False, sort_keys=True, default=_json_default)
    return clean_text(text)


def _as_text(record: dict[str, Any], key: str, errors: list[str]) -> str | None:
    value = record.get(key)
    if value is None:
        return None
    if isinstance(value, str):
        return clean_text(value)
    errors.append(f"{key} is {type(value).__name__}, not text")
    return None


def _as_int(record: dict[str, Any], key: str, errors: list[str]) -> int | None:
    value = record.get(key)
    if value is None:
        return None
    if isinstance(value, bool):
        errors.append(f"{key} is bool, not a number")
        return None
    number: int | None = None
    if isinstance(value, int):
        number = value
    elif isinstance(value, float) and math.isfinite(value) and value.is_integer():
        number = int(value)
    elif isinstance(value, str):
        try:
            number = int(value.strip())
        except ValueError:
            number = None
    if number is not None and -(2**63) <= number < 2**63:
        return number
    errors.append(f"{key} is not an integer: {str(value)[:40]!r}")
    return None


def as_epoch(value: Any) -> float | None:
    """A usable epoch-seconds value, or None (strings of digits are accepted, prose is not)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    if not math.isfinite(number) or not (0 <= number < 32_503_680_000):  # before year 3000
        return None
    return number


def _as_time(record: dict[str, Any], key: str, errors: list[str]) -> datetime | None:
    value = record.get(key)
    if value is None:
        return None
    epoch = as_epoch(value)
    if epoch is None:
        errors.append(f"{key} is not a timestamp: {str(value)[:40]!r}")
        return None
    return datetime.fromtimestamp(epoch, tz=UTC)


def _fullname(record: dict[str, Any], errors: list[str]) -> tuple[str | None, str | None]:
    # Cleaned like any text: an id is stored too (quarantine.record_id), and a NUL byte or a lone
    # surrogate in it would fail the Parquet write or the COPY, losing the whole interval.
    name = record.get("name")
    if isinstance(name, str) and name[:2] in _KIND_BY_PREFIX and name[2:3] == "_" and len(name) > 3:
        return clean_text(name), _KIND_BY_PREFIX[name[:2]]
    raw_id = record.get("id")
    if isinstance(raw_id, str) and raw_id:
        kind = "comment" if "body" in record and "title" not in record else "post"
        prefix = "t1" if kind == "comment" else "t3"
        return f"{prefix}_{clean_text(raw_id)}", kind
    errors.append("id is missing")
    return None, None


def parse_record(record: Any, record_no: int, subreddit: str) -> dict[str, Any]:
    """One raw-zone row (RAW_POST_SCHEMA) for any input value, never raising."""
    errors: list[str] = []
    if not isinstance(record, dict):
        errors.append(f"record is {type(record).__name__}, not an object")
        record_dict: dict[str, Any] = {}
    elif "_unparseable_line" in record:
        errors.append("line is not valid JSON")
        record_dict = {}
    else:
        record_dict = record
    post_id, kind = _fullname(record_dict, errors) if record_dict else (None, None)
    body_key = "body" if kind == "comment" else "selftext"
    karma_parts = [
        _as_int(record_dict, k, []) for k in ("author_link_karma", "author_comment_karma")
    ]
    karma = (
        sum(k for k in karma_parts if k is not None)
        if any(k is not None for k in karma_parts)
        else None
    )
    row: dict[str, Any] = {
        "record_no": record_no,
        "id": post_id,
        "kind": kind,
        "subreddit": subreddit,
        "author": _as_text(record_dict, "author", errors),
        "author_created_utc": _as_time(record_dict, "author_created_utc", []),
        "author_karma": karma,
        "title": _as_text(record_dict, "title", errors) if kind == "post" else None,
        "body": _as_text(record_dict, body_key, errors),
        "created_utc": _as_time(record_dict, "created_utc", errors),
        "score": _as_int(record_dict, "score", errors),
        "num_comments": _as_int(record_dict, "num_comments", errors),
        "parent_id": _as_text(record_dict, "parent_id", errors),
        "permalink": _as_text(record_dict, "permalink", errors),
        "raw_json": raw_json(record),
        "parse_error": "; ".join(errors) if errors else None,
        "link_id": _as_text(record_dict, "link_id", errors) if kind == "comment" else None,
    }
    for key in ("title", "body"):
        if row[key] is not None and len(row[key]) > MAX_TEXT_CHARS:
            row[key] = row[key][:MAX_TEXT_CHARS]
    return row


RAW_COLUMNS = RAW_POST_SCHEMA.names
