"""Validate a raw-zone batch with Great Expectations: split it into valid and quarantined rows.

Row-level failures must never fail a run (Reddit hands us garbage every day); they are set aside
with a reason so that every record that came in is accounted for. Batch-level failures (schema
drift, an empty batch where one was expected, mostly garbage) mean something upstream is broken,
so they raise and fail the task loudly instead of loading a misleading interval.

GX is imported inside `validate_raw` only: its import costs 6-9 s and the DAG file imports this
package at parse time.
"""

from __future__ import annotations

import logging
import math
import re
import shutil
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd

from tickerpulse import gx_suite
from tickerpulse.data_docs_offline import localise_site
from tickerpulse.gx_suite import (
    BATCH_SUITE,
    DEFAULT_MAX_QUARANTINE_SHARE,
    MIN_ROWS_FOR_SHARE,
    QUARANTINE_SHARE,
    ROW_FRAME_COLUMNS,
    ROWS_SUITE,
    TEXT_CHARS,
    Rule,
)
from tickerpulse.schema import QUARANTINE_SCHEMA, RAW_POST_SCHEMA

log = logging.getLogger(__name__)

RESULT_FORMAT = {"result_format": "COMPLETE", "unexpected_index_column_names": ["record_no"]}
DOCS_SITE = "tickerpulse_run"  # "local_site" is taken in an ephemeral context
_SAMPLE = 10  # unexpected values kept in a result's details
_RUN_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:=+-]*$")


class BatchValidationError(Exception):
    """The batch as a whole is unusable; the message lists the failed checks.

    `results` and `docs_path` are kept so that a caller can still record why the batch failed.
    """

    def __init__(
        self,
        message: str,
        results: list[dict[str, Any]] | None = None,
        docs_path: str | None = None,
    ) -> None:
        super().__init__(message)
        self.results = results or []
        self.docs_path = docs_path


@dataclass
class ValidationOutcome:
    valid: pd.DataFrame  # rows that passed every row-level check (same columns as input)
    quarantine: pd.DataFrame  # QUARANTINE_SCHEMA columns
    results: list[dict[str, Any]]  # one per expectation, no run ids or timestamps
    docs_path: str | None  # local path of the Data Docs index.html for this run


def validate_raw(
    df: pd.DataFrame,
    interval_start: datetime,
    interval_end: datetime,
    docs_dir: Path | None,
    run_key: str,
    expect_rows: bool = False,
    *,
    max_quarantine_share: float = DEFAULT_MAX_QUARANTINE_SHARE,
) -> ValidationOutcome:
    """Run the batch and row suites on `df` (RAW_POST_SCHEMA columns, record_no unique).

    Raises BatchValidationError after the Data Docs are written when a batch-level check fails.
    """
    _check_interval(interval_start, interval_end)
    if docs_dir is not None and not _RUN_KEY.match(run_key):
        raise ValueError(f"run_key must be one safe path segment: {run_key!r}")
    if df.columns.duplicated().any():
        dupes = sorted({str(c) for c in df.columns[df.columns.duplicated()]})
        raise BatchValidationError(f"batch validation failed: duplicated columns {dupes}")
    df = df.reset_index(drop=True)

    runner = _GxRunner(run_key, interval_start, docs_dir)
    try:
        results, failed, reasons = _run_suites(
            runner, df, interval_start, interval_end, expect_rows, max_quarantine_share
        )
        docs_path = runner.finish_docs()
    finally:
        runner.discard_staging()
    if failed:
        message = "batch validation failed: " + "; ".join(_describe_failure(r) for r in failed)
        raise BatchValidationError(message, results=results, docs_path=docs_path)

    bad_positions = sorted(reasons)
    valid = df.drop(index=bad_positions).reset_index(drop=True)
    quarantine = _quarantine_frame(df, bad_positions, reasons)
    return ValidationOutcome(
        valid=valid, quarantine=quarantine, results=results, docs_path=docs_path
    )


def _run_suites(
    runner: _GxRunner,
    df: pd.DataFrame,
    interval_start: datetime,
    interval_end: datetime,
    expect_rows: bool,
    max_quarantine_share: float,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[int, list[str]]]:
    """(result rows, the failures that fail the batch, quarantine reasons by row position)."""
    batch_rules = gx_suite.batch_rules(expect_rows)
    batch_raw = runner.run(BATCH_SUITE, "batch", df, batch_rules)
    results = [_result_row(BATCH_SUITE, rule, batch_raw[_key(rule)]) for rule in batch_rules]
    _describe_schema(results[0], df)
    failed = [r for r in results if not r["success"]]
    reasons: dict[int, list[str]] = {}
    if failed:  # the row suite needs the expected columns and a usable record_no
        return results, failed, reasons

    row_rules = gx_suite.row_rules(interval_start, interval_end)
    row_raw = runner.run(ROWS_SUITE, "rows", _row_frame(df), row_rules)
    position_of = {int(no): pos for pos, no in enumerate(df["record_no"].tolist())}
    for rule in row_rules:
        raw = row_raw[_key(rule)]
        row = _result_row(ROWS_SUITE, rule, raw)
        results.append(row)
        if "unexpected_index_list" not in raw["result"]:  # not evaluated, e.g. wrong column type
            row["details"].setdefault("exception", "GX returned no unexpected rows")
            failed.append(row)
            continue
        bad = _quarantined_rows(rule, raw, position_of)
        for pos, reason in bad:
            reasons.setdefault(pos, []).append(reason)
        row["details"]["quarantined"] = len(bad)
    share = _share_result(len(df), len(reasons), max_quarantine_share)
    results.append(share)
    if not share["success"]:
        failed.append(share)
    return results, failed, reasons


def _check_interval(start: datetime, end: datetime) -> None:
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("interval bounds must be timezone-aware")
    if end <= start:
        raise ValueError(f"empty interval [{start}, {end})")


def _key(rule: Rule) -> tuple[str, str]:
    return rule.expectation, rule.column


class _GxRunner:
    """One ephemeral GX context per call, with an optional Data Docs site for this run only."""

    def __init__(self, run_key: str, interval_start: datetime, docs_dir: Path | None) -> None:
        import great_expectations as gx
        from great_expectations.core.run_identifier import RunIdentifier
        from great_expectations.data_context.types.base import ProgressBarsConfig

        self._gx = gx
        self._context = gx.get_context(mode="ephemeral")
        self._context.variables.progress_bars = ProgressBarsConfig(globally=False)
        self._source = self._context.data_sources.add_pandas("raw_zone")
        # A run id from the interval, not the wall clock: a re-run writes the same page paths.
        self._run_id = RunIdentifier(run_name=run_key, run_time=interval_start)
        self._docs_target: Path | None = None
        self._docs_staging: Path | None = None
        if docs_dir is not None:
            self._docs_target = Path(docs_dir) / run_key
            # Built beside the target and swapped in, so a reader never sees a half-built site
            # and a re-run leaves no pages of the previous run behind.
            self._docs_staging = Path(docs_dir) / f".{run_key}.{uuid.uuid4().hex}.tmp"
            self._context.add_data_docs_site(
                site_name=DOCS_SITE,
                site_config={
                    "class_name": "SiteBuilder",
                    "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
                    "store_backend": {
                        "class_name": "TupleFilesystemStoreBackend",
                        "base_directory": str(self._docs_staging),
                    },
                },
            )

    def run(
        self, suite_name: str, asset_name: str, frame: pd.DataFrame, rules: list[Rule]
    ) -> dict[tuple[str, str], dict[str, Any]]:
        """Validate `frame` against `rules`; the raw GX result of each rule by (type, column)."""
        gx = self._gx
        from great_expectations.checkpoint import UpdateDataDocsAction

        batch_definition = self._source.add_dataframe_asset(
            asset_name
        ).add_batch_definition_whole_dataframe(asset_name)
        suite = self._context.suites.add(
            gx.ExpectationSuite(
                name=suite_name, expectations=[gx_suite.to_expectation(r) for r in rules]
            )
        )
        definition = self._context.validation_definitions.add(
            gx.ValidationDefinition(name=suite_name, data=batch_definition, suite=suite)
        )
        actions = (
            []
            if self._docs_target is None
            else [UpdateDataDocsAction(name="update_docs", site_names=[DOCS_SITE])]
        )
        checkpoint = self._context.checkpoints.add(
            gx.Checkpoint(
                name=suite_name,
                validation_definitions=[definition],
                actions=actions,
                result_format=RESULT_FORMAT,
            )
        )
        outcome = checkpoint.run(batch_parameters={"dataframe": frame}, run_id=self._run_id)
        by_key: dict[tuple[str, str], dict[str, Any]] = {}
        for suite_result in outcome.run_results.values():
            for result in suite_result.results:
                config = result.expectation_config
                if config is None:
                    raise RuntimeError(f"GX returned a result without its expectation: {result}")
                column = str(config.kwargs.get("column") or "")
                by_key[(config.type, column)] = {
                    "success": bool(result.success),
                    "result": dict(result.result or {}),
                    "exception": _exception_message(result.exception_info),
                    "kwargs": dict(config.kwargs),
                }
        return by_key

    def discard_staging(self) -> None:
        """Remove a half-built site left by a failure (no-op once it has been swapped in)."""
        if self._docs_staging is not None and self._docs_staging.exists():
            shutil.rmtree(self._docs_staging, ignore_errors=True)

    def finish_docs(self) -> str | None:
        if self._docs_target is None or self._docs_staging is None:
            return None
        staging, target = self._docs_staging, self._docs_target
        if not (staging / "index.html").exists():
            raise RuntimeError(f"Data Docs were not written to {staging}")
        localise_site(staging, staging.parent)  # offline styles: tickerpulse.data_docs_offline
        _prune_unreferenced_images(staging)
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
        return str(target / "index.html")


def _prune_unreferenced_images(site: Path) -> None:
    """Drop GX's onboarding GIFs (3.3 MB) that no page of a run's site shows.

    A site is written every 30 minutes, so they would be most of the docs volume.
    """
    images = site / "static" / "images"
    if not images.is_dir():
        return
    pages = [*site.rglob("*.html"), *site.rglob("*.css")]
    text = "\n".join(page.read_text(encoding="utf-8", errors="replace") for page in pages)
    for image in images.iterdir():
        if image.is_file() and image.name not in text:
            image.unlink()


def _row_frame(df: pd.DataFrame) -> pd.DataFrame:
    """The columns the row suite reads, plus the derived TEXT_CHARS."""
    frame = df[[c for c in ROW_FRAME_COLUMNS if c != TEXT_CHARS]].copy()
    chars = [
        _text_chars(kind, title, body)
        for kind, title, body in zip(
            df["kind"].tolist(), df["title"].tolist(), df["body"].tolist(), strict=True
        )
    ]
    frame[TEXT_CHARS] = pd.array(chars, dtype="Int64")
    return frame


def _text_chars(kind: Any, title: Any, body: Any) -> int | None:
    def chars(value: Any) -> int:
        return len(value.strip()) if isinstance(value, str) else 0

    if not isinstance(kind, str):  # None or pd.NA: the kind rules quarantine the row
        return None
    if kind == "post":
        return chars(title) + chars(body)
    if kind == "comment":
        return chars(body)
    return None  # unknown kind: the kind rules quarantine the row


def _exception_message(info: Any) -> str | None:
    """First line of the error GX caught, or None; GX nests it per metric in some cases."""
    if not isinstance(info, dict):
        return None
    candidates = [info, *(v for v in info.values() if isinstance(v, dict))]
    for candidate in candidates:
        if candidate.get("raised_exception"):
            message = str(candidate.get("exception_message") or "").strip()
            return message.splitlines()[0] if message else "exception raised"
    return None


def _quarantined_rows(
    rule: Rule, raw: dict[str, Any], position_of: dict[int, int]
) -> list[tuple[int, str]]:
    """(row position, reason) for each row this rule sends to quarantine."""
    entries = raw["result"].get("unexpected_index_list") or []
    rows = sorted(
        (position_of[int(entry["record_no"])], entry.get(rule.column)) for entry in entries
    )
    bad: list[tuple[int, str]] = []
    seen: set[Any] = set()
    for pos, value in rows:
        if rule.keep_first and value not in seen:
            seen.add(value)
            continue
        reason = f"{rule.reason}: {value}" if rule.reason_with_value else rule.reason
        bad.append((pos, reason))
    return bad


def _share_result(rows: int, quarantined: int, max_share: float) -> dict[str, Any]:
    share = quarantined / rows if rows else 0.0
    applies = rows >= MIN_ROWS_FOR_SHARE
    return {
        "suite": BATCH_SUITE,
        "expectation": QUARANTINE_SHARE,
        "column_name": "",
        "success": not (applies and share > max_share),
        "element_count": rows,
        "unexpected_count": quarantined,
        "details": {
            "max_share": max_share,
            "min_rows": MIN_ROWS_FOR_SHARE,
            "applies": applies,
            "observed_share": round(share, 6),
        },
    }


def _result_row(suite: str, rule: Rule, raw: dict[str, Any]) -> dict[str, Any]:
    result = raw["result"]
    details: dict[str, Any] = {
        "kwargs": _jsonable(
            {k: v for k, v in raw["kwargs"].items() if k not in ("column", "batch_id")}
        ),
    }
    if "observed_value" in result:
        details["observed_value"] = _jsonable(result["observed_value"])
    if "details" in result:
        details["gx_details"] = _jsonable(result["details"])
    if "partial_unexpected_counts" in result:
        details["unexpected_counts"] = _jsonable(result["partial_unexpected_counts"][:_SAMPLE])
    if raw["exception"] is not None:
        details["exception"] = raw["exception"]
    element_count = result.get("element_count")
    unexpected_count = result.get("unexpected_count")
    return {
        "suite": suite,
        "expectation": rule.expectation,
        "column_name": rule.column,
        "success": raw["success"],
        "element_count": None if element_count is None else int(element_count),
        "unexpected_count": None if unexpected_count is None else int(unexpected_count),
        "details": details,
    }


def _describe_schema(result: dict[str, Any], df: pd.DataFrame) -> None:
    """Name the missing and extra columns (GX only reports the observed set)."""
    expected, actual = set(RAW_POST_SCHEMA.names), {str(c) for c in df.columns}
    result["details"]["missing"] = sorted(expected - actual)
    result["details"]["extra"] = sorted(actual - expected)


def _describe_failure(result: dict[str, Any]) -> str:
    name = result["expectation"]
    if result["column_name"]:
        name += f"({result['column_name']})"
    details = result["details"]
    if result["expectation"] == "expect_table_columns_to_match_set":
        return f"{name}: missing {details['missing']}, extra {details['extra']}"
    if result["expectation"] == QUARANTINE_SHARE:
        return (
            f"{name}: {result['unexpected_count']} of {result['element_count']} rows "
            f"quarantined (> {details['max_share']:.0%})"
        )
    if "exception" in details:
        return f"{name}: {details['exception']}"
    observed = details.get("observed_value", result["unexpected_count"])
    return f"{name}: observed {observed}"


def _quarantine_frame(
    df: pd.DataFrame, positions: list[int], reasons: dict[int, list[str]]
) -> pd.DataFrame:
    frame = df.iloc[positions][["record_no", "subreddit", "id", "raw_json"]].reset_index(drop=True)
    frame["reason"] = pd.Series(
        ["; ".join(reasons[pos]) for pos in positions], dtype=df["raw_json"].dtype
    )
    return frame[list(QUARANTINE_SCHEMA.names)]


def _jsonable(value: Any) -> Any:
    """Plain JSON types only, so results can be stored as jsonb and compared across runs."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime | date | pd.Timestamp):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, Iterable) and not isinstance(value, bytes):
        return [_jsonable(v) for v in value]
    if value is pd.NA or value is pd.NaT:
        return None
    item = getattr(value, "item", None)  # numpy scalars
    if callable(item):
        return _jsonable(item())
    return str(value)
