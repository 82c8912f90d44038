"""The validate stage: row defects go to quarantine with a stable reason, batch defects raise."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest

from tickerpulse.schema import QUARANTINE_SCHEMA, RAW_POST_SCHEMA
from tickerpulse.validate import BatchValidationError, ValidationOutcome, validate_raw

START = datetime(2025, 1, 6, 14, 0, tzinfo=UTC)
END = START + timedelta(minutes=30)
ROW_EXPECTATIONS = 11  # row suite
BATCH_EXPECTATIONS = 4 + 1  # batch suite + the quarantine share computed in pandas


def raw_row(record_no: int, **overrides: Any) -> dict[str, Any]:
    """A raw-zone row that passes every check unless overridden."""
    row: dict[str, Any] = {
        "record_no": record_no,
        "id": f"t3_a{record_no}",
        "kind": "post",
        "subreddit": "stocks",
        "author": f"user{record_no}",
        "author_created_utc": START - timedelta(days=400),
        "author_karma": 1200,
        "title": f"$AAPL thoughts {record_no}",
        "body": "Earnings look strong.",
        "created_utc": START + timedelta(seconds=(30 * record_no) % 1800),
        "score": 5,
        "num_comments": 2,
        "parent_id": None,
        "permalink": f"/r/stocks/comments/a{record_no}/",
        "raw_json": json.dumps({"n": record_no}),
        "parse_error": None,
    }
    row.update(overrides)
    return row


def frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """As the validate stage reads the raw zone: Arrow-backed columns."""
    return pa.Table.from_pylist(rows, schema=RAW_POST_SCHEMA).to_pandas(types_mapper=pd.ArrowDtype)


def clean_rows(n: int, first: int = 0) -> list[dict[str, Any]]:
    rows = [raw_row(i) for i in range(first, first + n)]
    rows[0].update(kind="comment", id=f"t1_c{first}", title=None, parent_id="t3_x")
    return rows


# Defect rows, record_no -> (overrides, expected reason).
DEFECTS: dict[int, tuple[dict[str, Any], str]] = {
    100: ({"id": None}, "id_null"),
    101: ({"id": "T3_UPPER"}, "id_malformed"),
    102: ({"id": "t2_abc"}, "id_malformed"),
    103: ({"kind": None}, "kind_null"),
    104: ({"kind": "link"}, "kind_invalid"),
    105: ({"created_utc": None}, "created_utc_null"),
    106: ({"created_utc": END}, "created_utc_outside_interval"),
    107: ({"created_utc": START - timedelta(microseconds=1)}, "created_utc_outside_interval"),
    108: ({"author": None}, "author_null"),
    109: ({"title": "  ", "body": None}, "text_empty"),
    110: ({"kind": "comment", "id": "t1_c110", "title": "has title", "body": ""}, "text_empty"),
    111: ({"score": None}, "score_null"),
    112: (
        {"parse_error": "num_comments is not an integer: 'x'"},
        "parse_error: num_comments is not an integer: 'x'",
    ),
    113: ({"id": "t3_a0"}, "duplicate_id_in_batch"),  # same id as record 0, which stays valid
    114: (
        {"created_utc": END + timedelta(hours=1), "score": None, "parse_error": "score is str"},
        "created_utc_outside_interval; score_null; parse_error: score is str",
    ),
}
CLEAN = 24


def defect_rows() -> list[dict[str, Any]]:
    rows = [raw_row(i) for i in range(CLEAN)]  # record 0 is the original of the duplicate
    rows += [raw_row(no, **overrides) for no, (overrides, _) in DEFECTS.items()]
    # A post with only a body and a comment with a body are fine.
    rows += [raw_row(200, title=None), raw_row(201, kind="comment", id="t1_c201", title=None)]
    # Rows without an id are not duplicates of each other.
    rows += [raw_row(202, id=None), raw_row(203, id=None)]
    return rows


@pytest.fixture(scope="module")
def docs_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("docs")


@pytest.fixture(scope="module")
def clean(docs_dir: Path) -> ValidationOutcome:
    return validate_raw(frame(clean_rows(5)), START, END, docs_dir, "2025-01-06T1400", True)


@pytest.fixture(scope="module")
def defects() -> tuple[pd.DataFrame, ValidationOutcome]:
    df = frame(defect_rows())
    return df, validate_raw(df, START, END, None, "defects")


def reasons(outcome: ValidationOutcome) -> dict[int, str]:
    q = outcome.quarantine
    return dict(zip(q["record_no"].tolist(), q["reason"].tolist(), strict=True))


def test_clean_batch_passes_with_one_result_per_expectation(clean: ValidationOutcome) -> None:
    assert len(clean.valid) == 5
    assert clean.quarantine.empty
    assert list(clean.quarantine.columns) == QUARANTINE_SCHEMA.names
    assert list(clean.valid.columns) == RAW_POST_SCHEMA.names
    assert len(clean.results) == ROW_EXPECTATIONS + BATCH_EXPECTATIONS
    keys = {(r["suite"], r["expectation"], r["column_name"]) for r in clean.results}
    assert len(keys) == len(clean.results)  # the dq_results primary key
    assert all(r["success"] for r in clean.results)
    expected_keys = {"suite", "expectation", "column_name", "success", "element_count"}
    expected_keys |= {"unexpected_count", "details"}
    assert all(set(r) == expected_keys for r in clean.results)
    json.dumps(clean.results)  # storable as jsonb
    null_id = next(
        r
        for r in clean.results
        if r["expectation"] == "expect_column_values_to_not_be_null" and r["column_name"] == "id"
    )
    assert null_id["element_count"] == 5
    assert null_id["unexpected_count"] == 0


def test_each_row_defect_is_quarantined_with_its_reason(
    defects: tuple[pd.DataFrame, ValidationOutcome],
) -> None:
    _, outcome = defects
    assert reasons(outcome) == {no: reason for no, (_, reason) in DEFECTS.items()} | {
        202: "id_null",
        203: "id_null",
    }
    valid_nos = outcome.valid["record_no"].tolist()
    assert valid_nos == [*range(CLEAN), 200, 201]


def test_nothing_is_lost(defects: tuple[pd.DataFrame, ValidationOutcome]) -> None:
    df, outcome = defects
    assert len(outcome.valid) + len(outcome.quarantine) == len(df)
    assert list(outcome.valid.columns) == list(df.columns)
    assert (outcome.valid.dtypes == df.dtypes).all()
    q = outcome.quarantine.set_index("record_no")
    original = df.set_index("record_no")
    assert q["raw_json"].equals(original.loc[q.index, "raw_json"])
    # The stage writes both frames with the fixed schemas.
    pa.Table.from_pandas(outcome.quarantine, schema=QUARANTINE_SCHEMA, preserve_index=False)
    pa.Table.from_pandas(outcome.valid, schema=RAW_POST_SCHEMA, preserve_index=False)


def test_results_count_what_was_quarantined(
    defects: tuple[pd.DataFrame, ValidationOutcome],
) -> None:
    _, outcome = defects
    by_key = {(r["expectation"], r["column_name"]): r for r in outcome.results}
    unique_id = by_key[("expect_column_values_to_be_unique", "id")]
    assert not unique_id["success"]
    assert unique_id["unexpected_count"] == 2  # GX counts both occurrences ...
    assert unique_id["details"]["quarantined"] == 1  # ... only the second is quarantined
    assert by_key[("expect_column_values_to_not_be_null", "score")]["unexpected_count"] == 2
    assert (
        by_key[("expect_column_values_to_be_between", "text_chars")]["details"]["quarantined"] == 2
    )
    share = by_key[("expect_quarantine_share_to_be_at_most", "")]
    assert share["success"]
    assert share["unexpected_count"] == len(outcome.quarantine)


def test_validation_is_deterministic(defects: tuple[pd.DataFrame, ValidationOutcome]) -> None:
    df, first = defects
    second = validate_raw(df.copy(), START, END, None, "defects")
    pd.testing.assert_frame_equal(first.valid, second.valid)
    pd.testing.assert_frame_equal(first.quarantine, second.quarantine)
    assert json.dumps(first.results, sort_keys=True) == json.dumps(second.results, sort_keys=True)


def test_numpy_backed_frame_gives_the_same_reasons(
    defects: tuple[pd.DataFrame, ValidationOutcome],
) -> None:
    _, arrow_outcome = defects
    df = pa.Table.from_pylist(defect_rows(), schema=RAW_POST_SCHEMA).to_pandas()
    outcome = validate_raw(df, START, END, None, "numpy")
    assert reasons(outcome) == reasons(arrow_outcome)


def test_data_docs_are_written_per_run(clean: ValidationOutcome, docs_dir: Path) -> None:
    index = docs_dir / "2025-01-06T1400" / "index.html"
    assert clean.docs_path == str(index)
    assert index.is_file()
    assert "raw_posts" in index.read_text(encoding="utf-8")
    # No staging directory left; `_vendor` holds the offline CSS every run's pages share.
    assert sorted(p.name for p in docs_dir.iterdir()) == ["2025-01-06T1400", "_vendor"]


def test_rerun_replaces_the_docs_of_the_run(tmp_path: Path) -> None:
    stale = tmp_path / "run" / "stale.html"
    stale.parent.mkdir()
    stale.write_text("old")
    outcome = validate_raw(frame(clean_rows(2)), START, END, tmp_path, "run")
    assert outcome.docs_path == str(tmp_path / "run" / "index.html")
    assert not stale.exists()


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda df: df.drop(columns=["score"]), "missing ['score']"),
        (lambda df: df.assign(upvote_ratio=0.5), "extra ['upvote_ratio']"),
    ],
)
def test_schema_drift_raises(change: Any, named: str, tmp_path: Path) -> None:
    df = change(frame(clean_rows(3)))
    with pytest.raises(BatchValidationError, match="expect_table_columns_to_match_set") as info:
        validate_raw(df, START, END, tmp_path, "drift")
    assert named in str(info.value)
    assert Path(str(info.value.docs_path)).is_file()  # the failure is documented too
    assert any(not r["success"] for r in info.value.results)


def test_column_of_the_wrong_type_raises_instead_of_passing() -> None:
    df = frame(clean_rows(3))
    df["created_utc"] = df["created_utc"].astype(str)  # same name, wrong type
    with pytest.raises(BatchValidationError, match=r"be_between\(created_utc\): Column values"):
        validate_raw(df, START, END, None, "types")


def test_duplicate_record_no_raises() -> None:
    with pytest.raises(BatchValidationError, match=r"be_unique\(record_no\)"):
        validate_raw(frame([raw_row(1), raw_row(1, id="t3_other")]), START, END, None, "k")


def test_empty_batch_raises_only_when_rows_are_expected() -> None:
    empty = frame([])
    with pytest.raises(BatchValidationError, match="expect_table_row_count_to_be_between"):
        validate_raw(empty, START, END, None, "empty", expect_rows=True)
    outcome = validate_raw(empty, START, END, None, "empty", expect_rows=False)
    assert outcome.valid.empty
    assert outcome.quarantine.empty
    assert all(r["success"] for r in outcome.results)


def test_mostly_garbage_batch_raises() -> None:
    rows = clean_rows(9) + [raw_row(i, author=None) for i in range(9, 20)]
    with pytest.raises(BatchValidationError, match="11 of 20 rows quarantined"):
        validate_raw(frame(rows), START, END, None, "garbage")
    # Below 20 rows the share says little: the bad rows are only quarantined.
    small = [raw_row(i, author=None) for i in range(19)]
    assert len(validate_raw(frame(small), START, END, None, "small").quarantine) == 19
    # The threshold is configurable.
    rows = clean_rows(15) + [raw_row(i, author=None) for i in range(15, 20)]
    with pytest.raises(BatchValidationError, match="5 of 20"):
        validate_raw(frame(rows), START, END, None, "strict", max_quarantine_share=0.2)


def test_gx_is_not_imported_with_the_package() -> None:
    import subprocess
    import sys

    code = "import sys, tickerpulse.validate; print('great_expectations' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
