"""Labelled sentiment datasets: Financial PhraseBank, and CSV / JSON Lines with gold labels or
scores.

Every reader returns the same `Dataset`, with the gold either as a three-way label or as a score in
[-1, 1] (SemEval-style microblog sets), so one set of metrics and one report fit every file. The
file's SHA-256 is kept with every run: two runs are only comparable when they read the same bytes.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tickerpulse.scoring.base import BEARISH, BULLISH, NEUTRAL, label_for

LABELS = (BULLISH, BEARISH, NEUTRAL)
LABEL_ALIASES = {
    "positive": BULLISH,
    "bullish": BULLISH,
    "negative": BEARISH,
    "bearish": BEARISH,
    "neutral": NEUTRAL,
}
PHRASEBANK_SUFFIXES = {".txt"}
CSV_SUFFIXES = {".csv"}
JSONL_SUFFIXES = {".jsonl", ".json-lines", ".ndjson"}


class DatasetError(ValueError):
    """The file cannot be read as a labelled dataset; the message says where and why."""


@dataclass(frozen=True)
class Example:
    id: str
    text: str
    label: str  # bullish | bearish | neutral (from the score when only a score is given)
    score: float | None = None  # continuous gold in [-1, 1], when the dataset has one


@dataclass(frozen=True)
class Dataset:
    name: str
    path: Path
    sha256: str
    examples: tuple[Example, ...]

    @property
    def has_scores(self) -> bool:
        return any(e.score is not None for e in self.examples)


def read_dataset(path: Path | str) -> Dataset:
    """Read by extension: .txt is PhraseBank (`sentence@label`), .csv, .jsonl / .ndjson."""
    path = Path(path)
    suffix = _check_suffix(path, PHRASEBANK_SUFFIXES | CSV_SUFFIXES | JSONL_SUFFIXES)
    data = _read_bytes(path)
    if suffix in PHRASEBANK_SUFFIXES:
        rows = list(_phrasebank(path, data))
    else:
        rows = [_example(path, where, record) for where, record in _records(path, suffix, data)]
    if not rows:
        raise DatasetError(f"{path}: no labelled examples")
    ids = [e.id for e in rows]
    if len(set(ids)) != len(ids):
        dup = next(i for i in ids if ids.count(i) > 1)
        raise DatasetError(f"{path}: id {dup!r} appears more than once")
    return Dataset(path.name, path, hashlib.sha256(data).hexdigest(), tuple(rows))


def read_texts(path: Path | str) -> list[tuple[str, str]]:
    """(id, text) pairs in file order from a .csv or .jsonl / .ndjson file, with no gold needed.

    What `tickerpulse score` reads: the same parsing and messages as the labelled datasets, but
    an empty file gives no pairs, ids may repeat, and a CSV must name both columns in its header.
    """
    path = Path(path)
    suffix = _check_suffix(path, CSV_SUFFIXES | JSONL_SUFFIXES)
    records = _records(path, suffix, _read_bytes(path), required=("id", "text"))
    return [_id_and_text(path, where, record) for where, record in records]


def _check_suffix(path: Path, known: set[str]) -> str:
    suffix = path.suffix.lower()
    if suffix not in known:
        listed = ", ".join(sorted(known))
        raise DatasetError(f"{path}: unsupported extension {path.suffix!r} (use {listed})")
    return suffix


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise DatasetError(f"{path}: no such file") from exc
    except OSError as exc:
        raise DatasetError(f"{path}: cannot read: {exc}") from exc


def _records(
    path: Path, suffix: str, data: bytes, required: tuple[str, ...] = ()
) -> Iterator[tuple[str, dict[str, Any]]]:
    """(where, record) of a CSV or JSON Lines file; `required` CSV columns are checked first."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DatasetError(f"{path}: not UTF-8 text ({exc.reason})") from exc
    if suffix in CSV_SUFFIXES:
        return _csv_records(path, text, required)
    return _jsonl_records(path, text)


def _phrasebank(path: Path, data: bytes) -> Iterator[Example]:
    """`sentence@label`, latin-1. Split on "\\n" (latin-1 0x85 is a line break to splitlines)
    and on the last "@"; lines without "@" (AllAgree has a stray "1") are skipped."""
    for line_no, line in enumerate(data.decode("latin-1").split("\n"), start=1):
        line = line.rstrip("\r")
        if "@" not in line:
            continue
        sentence, _, raw_label = line.rpartition("@")
        label = LABEL_ALIASES.get(raw_label.strip().lower())
        if label is None:
            raise DatasetError(f"{path}: line {line_no} has an unknown label {raw_label!r}")
        yield Example(f"L{line_no}", sentence.strip(), label)


def _csv_records(
    path: Path, text: str, required: tuple[str, ...] = ()
) -> Iterator[tuple[str, dict[str, Any]]]:
    csv.field_size_limit(sys.maxsize)
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        missing = [c for c in required if c not in (reader.fieldnames or [])]
        if missing:
            need = " and ".join(required)
            raise DatasetError(f"{path}: missing column(s) {', '.join(missing)} (need {need})")
        for row in reader:
            yield f"line {reader.line_num}", dict(row)
    except csv.Error as exc:
        raise DatasetError(f"{path}: not valid CSV: {exc}") from exc


def _jsonl_records(path: Path, text: str) -> Iterator[tuple[str, dict[str, Any]]]:
    for line_no, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DatasetError(f"{path}: line {line_no} is not JSON: {exc.msg}") from exc
        if not isinstance(record, dict):
            raise DatasetError(f"{path}: line {line_no} is not a JSON object")
        yield f"line {line_no}", record


def _id_and_text(path: Path, where: str, record: dict[str, Any]) -> tuple[str, str]:
    missing = [c for c in ("id", "text") if c not in record]
    if missing:
        raise DatasetError(f"{path}: {where} is missing {', '.join(missing)} (need id and text)")
    post_id = _str(record["id"]).strip()
    if not post_id:
        raise DatasetError(f"{path}: {where} has an empty id")
    return post_id, _str(record["text"])


def _example(path: Path, where: str, record: dict[str, Any]) -> Example:
    post_id, text = _id_and_text(path, where, record)
    raw_label = _str(record.get("label")).strip().lower()
    raw_score = record.get("score")
    score = None
    if raw_score not in (None, ""):
        try:
            score = float(raw_score)
        except (TypeError, ValueError) as exc:
            raise DatasetError(f"{path}: {where} has a score that is not a number") from exc
        if not math.isfinite(score) or not -1.0 <= score <= 1.0:
            raise DatasetError(f"{path}: {where} has a score outside [-1, 1]: {raw_score!r}")
    if raw_label:
        label = LABEL_ALIASES.get(raw_label)
        if label is None:
            known = "|".join(LABEL_ALIASES)
            raise DatasetError(f"{path}: {where} has an unknown label {raw_label!r} ({known})")
    elif score is not None:
        label = label_for(score)
    else:
        raise DatasetError(f"{path}: {where} has neither a label nor a score")
    return Example(post_id, text, label, score)


def _str(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return value if isinstance(value, str) else str(value)
