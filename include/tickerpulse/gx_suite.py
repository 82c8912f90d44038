"""What the raw zone must satisfy, written as Great Expectations rules plus the reason each gives.

The rules are plain data here so that the quarantine reasons (which are stored and counted) and
the order they are joined in live in one place, and so that this module can be imported without
paying for the 6-9 s Great Expectations import: GX is only touched in `to_expectation`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tickerpulse.schema import RAW_POST_SCHEMA

BATCH_SUITE = "raw_posts.batch"
ROWS_SUITE = "raw_posts.rows"

ID_PATTERN = r"^t[13]_[0-9a-z]+$"
KINDS = ("comment", "post")
# Derived column: characters of the text that would be scored (posts: title + body, comments:
# body), after stripping whitespace; null when the kind is unknown. GX cannot express "title or
# body non-empty depending on kind" on the raw columns, so validation adds this column instead.
TEXT_CHARS = "text_chars"
# Columns of the frame the row-level suite runs on (raw columns it needs plus TEXT_CHARS).
ROW_FRAME_COLUMNS = (
    "record_no",
    "id",
    "kind",
    "created_utc",
    "author",
    "score",
    "parse_error",
    TEXT_CHARS,
)

PARSE_ERROR_REASON = "parse_error"  # the stored reason is "parse_error: <message>"
DUPLICATE_REASON = "duplicate_id_in_batch"
QUARANTINE_SHARE = "expect_quarantine_share_to_be_at_most"  # computed in pandas, not by GX
MIN_ROWS_FOR_SHARE = 20  # below this a few bad rows say nothing about the batch
DEFAULT_MAX_QUARANTINE_SHARE = 0.5


@dataclass(frozen=True)
class Rule:
    """One expectation; row-level rules also say how a failing row is quarantined."""

    expectation: str  # GX expectation type, snake_case
    column: str  # "" for table-level rules
    kwargs: dict[str, Any] = field(default_factory=dict)
    reason: str = ""  # quarantine reason (row-level rules only)
    reason_with_value: bool = False  # reason is "<reason>: <the unexpected value>"
    keep_first: bool = False  # only the second and later occurrences of a value are bad


def row_rules(interval_start: datetime, interval_end: datetime) -> list[Rule]:
    """Row-level rules, in the order their reasons are joined for a row that fails several."""
    return [
        Rule("expect_column_values_to_not_be_null", "id", reason="id_null"),
        Rule(
            "expect_column_values_to_match_regex",
            "id",
            {"regex": ID_PATTERN},
            reason="id_malformed",
        ),
        Rule("expect_column_values_to_not_be_null", "kind", reason="kind_null"),
        Rule(
            "expect_column_values_to_be_in_set",
            "kind",
            {"value_set": list(KINDS)},
            reason="kind_invalid",
        ),
        Rule("expect_column_values_to_not_be_null", "created_utc", reason="created_utc_null"),
        Rule(
            "expect_column_values_to_be_between",
            "created_utc",
            {"min_value": interval_start, "max_value": interval_end, "strict_max": True},
            reason="created_utc_outside_interval",
        ),
        Rule("expect_column_values_to_not_be_null", "author", reason="author_null"),
        Rule(
            "expect_column_values_to_be_between", TEXT_CHARS, {"min_value": 1}, reason="text_empty"
        ),
        Rule("expect_column_values_to_not_be_null", "score", reason="score_null"),
        Rule(
            "expect_column_values_to_be_null",
            "parse_error",
            reason=PARSE_ERROR_REASON,
            reason_with_value=True,
        ),
        Rule("expect_column_values_to_be_unique", "id", reason=DUPLICATE_REASON, keep_first=True),
    ]


def batch_rules(expect_rows: bool) -> list[Rule]:
    """Rules whose failure fails the whole batch (the quarantine share is added after them)."""
    return [
        Rule(
            "expect_table_columns_to_match_set",
            "",
            {"column_set": list(RAW_POST_SCHEMA.names), "exact_match": True},
        ),
        Rule("expect_table_row_count_to_be_between", "", {"min_value": 1 if expect_rows else 0}),
        # Quarantine rows are keyed by record_no, so it must identify a row.
        Rule("expect_column_values_to_not_be_null", "record_no"),
        Rule("expect_column_values_to_be_unique", "record_no"),
    ]


def to_expectation(rule: Rule) -> Any:
    """The GX expectation object for a rule (imports GX)."""
    import great_expectations.expectations as gxe

    class_name = "".join(part.capitalize() for part in rule.expectation.split("_"))
    kwargs = dict(rule.kwargs)
    if rule.column:
        kwargs["column"] = rule.column
    return getattr(gxe, class_name)(**kwargs)
