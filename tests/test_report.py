"""`tickerpulse report` and write_report: PNG charts of sentiment against price from the
warehouse, for the most mentioned tickers, and clear errors for ranges that hold nothing."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tickerpulse.cli import main
from tickerpulse.report import write_report
from tickerpulse.warehouse.migrate import migrate

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks.seed_serving import seed  # noqa: E402

END = datetime(2024, 3, 6, 0, 0, tzinfo=UTC)
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def warehouse(fresh_db: str, monkeypatch: pytest.MonkeyPatch) -> str:
    migrate(fresh_db)
    seed(fresh_db, end=END, days=10, tickers=6, posts_per_ticker_day=1)
    monkeypatch.setenv("DATABASE_URL", fresh_db)
    return fresh_db


@pytest.mark.slow  # renders charts (matplotlib): about 6 s
def test_writes_one_png_per_top_ticker_most_mentioned_first(warehouse: str, tmp_path: Path) -> None:
    paths = write_report(warehouse, END - timedelta(hours=24), END, tmp_path / "out", top=3)
    assert [p.name.split("_")[:2] for p in paths] == [
        ["01", "T001"],
        ["02", "T002"],
        ["03", "T003"],
    ]
    for path in paths:
        data = path.read_bytes()
        assert data.startswith(PNG)
        assert len(data) > 20_000, "a chart, not an empty canvas"


def test_long_ranges_and_empty_ranges(warehouse: str, tmp_path: Path) -> None:
    [daily] = write_report(warehouse, END - timedelta(days=30), END, tmp_path, top=1)
    assert daily.read_bytes().startswith(PNG)
    assert write_report(warehouse, END + timedelta(days=1), END + timedelta(days=2), tmp_path) == []
    with pytest.raises(ValueError, match="not after"):
        write_report(warehouse, END, END, tmp_path)


@pytest.mark.slow
def test_cli_prints_the_paths(
    warehouse: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "report",
            "--from",
            "2024-03-05T12:00Z",
            "--to",
            "2024-03-06T00:00:00+00:00",
            "--top",
            "2",
            "--out",
            str(tmp_path),
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    printed = [line for line in out.splitlines() if line.endswith(".png")]
    assert len(printed) == 2
    assert all(Path(p).is_file() for p in printed)
    # Then the signal scorecard, with its verdicts in words, also kept beside the charts.
    assert "signal scorecard" in out
    assert "not significant" in out
    assert "not significant" in (tmp_path / "scorecard.txt").read_text()
    # Without a range: the 24 hours up to the latest loaded bucket.
    assert main(["report", "--top", "1", "--out", str(tmp_path / "latest")]) == 0
    assert "20240305T0000Z_20240306T0000Z" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "yesterday"], "not an ISO 8601 time"),
        (["--from", "2024-03-06", "--to", "2024-03-05"], "not after"),
        (["--from", "2020-01-01", "--to", "2020-01-02"], "the warehouse has data from"),
        (["--top", "0"], "at least 1"),
    ],
)
def test_cli_usage_errors_exit_2(
    warehouse: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    message: str,
) -> None:
    assert main(["report", *args, "--out", str(tmp_path)]) == 2
    assert message in capsys.readouterr().err
