"""The replay sources answer like live ones and never lose a recorded record."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

import tickerpulse
from tickerpulse.sources.base import PRICE_COLUMNS
from tickerpulse.sources.prices_replay import ReplayPriceSource
from tickerpulse.sources.reddit_replay import ReplayRedditSource

SAMPLE = Path(tickerpulse.__file__).resolve().parent / "data" / "sample"
DAY = datetime(2024, 3, 4, tzinfo=UTC)
HALF_HOUR = timedelta(minutes=30)


def _intervals(day: datetime) -> list[tuple[datetime, datetime]]:
    return [(day + i * HALF_HOUR, day + (i + 1) * HALF_HOUR) for i in range(48)]


def _write_day(root: Path, sub: str, day: str, lines: list[str]) -> Path:
    path = root / "reddit" / f"subreddit={sub}" / f"dt={day}.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def _epoch(hour: int, minute: int = 0) -> float:
    return (DAY + timedelta(hours=hour, minutes=minute)).timestamp()


@pytest.mark.parametrize("sub", ["wallstreetbets", "stocks", "investing"])
@pytest.mark.parametrize("day", [DAY, DAY + timedelta(days=1)])
def test_every_sample_line_lands_in_exactly_one_interval(sub: str, day: datetime) -> None:
    source = ReplayRedditSource(SAMPLE)
    lines = (
        (SAMPLE / "reddit" / f"subreddit={sub}" / f"dt={day:%Y-%m-%d}.jsonl")
        .read_text(encoding="utf-8")
        .splitlines()
    )
    got = []
    for start, end in _intervals(day):
        got.extend(source.fetch(sub, start, end, limit=100_000))
    assert len(got) == len(lines)
    # Same records, same order: the file is sorted by placement time.
    assert [json.dumps(r, ensure_ascii=False, sort_keys=True) for r in got] == lines
    assert any(r.get("created_utc") == "yesterday" for r in got) or sub != "wallstreetbets"


def test_malformed_times_and_unparseable_lines_are_placed_not_lost(tmp_path: Path) -> None:
    lines = [
        json.dumps({"id": "a", "created_utc": _epoch(9, 10), "retrieved_utc": _epoch(9, 15)}),
        json.dumps({"id": "b", "created_utc": "yesterday", "retrieved_utc": _epoch(10, 5)}),
        json.dumps({"id": "c", "created_utc": "1709546400", "retrieved_utc": _epoch(10, 5)}),
        json.dumps({"id": "d", "created_utc": None, "retrieved_utc": "soon"}),
        json.dumps({"id": "e", "created_utc": _epoch(9) - 86400 * 3, "retrieved_utc": None}),
        '{"id": "f", "created_utc": 17095',
        "[1, 2, 3]",
        "",
        json.dumps({"id": "g", "created_utc": _epoch(23, 59), "retrieved_utc": _epoch(24, 3)}),
    ]
    _write_day(tmp_path, "stocks", "2024-03-04", lines)
    source = ReplayRedditSource(tmp_path)
    placed: dict[str, list[object]] = {}
    for start, end in _intervals(DAY):
        for rec in source.fetch("stocks", start, end, limit=1000):
            placed.setdefault(start.strftime("%H%M"), []).append(rec.get("id", rec))
    first = placed.pop("0000")
    assert first[:2] == ["d", "e"]
    assert [r["_unparseable_line"] for r in first[2:]] == lines[5:7]  # type: ignore[index]
    assert all(r["subreddit"] == "stocks" for r in first[2:])  # type: ignore[index]
    assert all(r["retrieved_utc"] == int(DAY.timestamp()) for r in first[2:])  # type: ignore[index]
    assert placed == {"0900": ["a"], "1000": ["b", "c"], "2330": ["g"]}


def test_an_interval_across_midnight_reads_both_day_files(tmp_path: Path) -> None:
    _write_day(
        tmp_path, "stocks", "2024-03-04", [json.dumps({"id": "x", "created_utc": _epoch(23, 50)})]
    )
    _write_day(
        tmp_path, "stocks", "2024-03-05", [json.dumps({"id": "y", "created_utc": _epoch(24, 10)})]
    )
    source = ReplayRedditSource(tmp_path)
    got = source.fetch(
        "stocks", DAY + timedelta(hours=23, minutes=30), DAY + timedelta(hours=24, minutes=30), 10
    )
    assert [r["id"] for r in got] == ["x", "y"]


def test_limit_keeps_the_earliest_records_in_file_order(tmp_path: Path) -> None:
    times = {"p": (9, 20), "q": (9, 5), "r": (9, 25), "s": (9, 1), "t": (9, 10)}
    lines = [json.dumps({"id": k, "created_utc": _epoch(*hm)}) for k, hm in times.items()]
    _write_day(tmp_path, "stocks", "2024-03-04", lines)
    source = ReplayRedditSource(tmp_path)
    start, end = DAY + timedelta(hours=9), DAY + timedelta(hours=9, minutes=30)
    assert [r["id"] for r in source.fetch("stocks", start, end, limit=3)] == ["q", "s", "t"]
    assert len(source.fetch("stocks", start, end, limit=100)) == 5
    assert source.fetch("stocks", start, end, limit=0) == []
    sample = ReplayRedditSource(SAMPLE)
    busy = sample.fetch("wallstreetbets", DAY + timedelta(hours=15), DAY + timedelta(hours=16), 10)
    assert len(busy) == 10
    assert (
        busy
        == sample.fetch(
            "wallstreetbets", DAY + timedelta(hours=15), DAY + timedelta(hours=16), 1000
        )[:10]
    )


def test_missing_files_bad_names_naive_times_and_fresh_objects(tmp_path: Path) -> None:
    source = ReplayRedditSource(SAMPLE)
    assert source.name == "replay"
    assert source.fetch("pennystocks", DAY, DAY + HALF_HOUR, 100) == []
    assert (
        source.fetch("stocks", DAY - timedelta(days=7), DAY - timedelta(days=7) + HALF_HOUR, 9)
        == []
    )
    assert ReplayRedditSource(tmp_path / "nowhere").fetch("stocks", DAY, DAY + HALF_HOUR, 9) == []
    with pytest.raises(ValueError):
        source.fetch("../../etc", DAY, DAY + HALF_HOUR, 10)
    naive = DAY.replace(tzinfo=None) + timedelta(hours=15)
    aware = DAY + timedelta(hours=15)
    assert source.fetch("stocks", naive, naive + HALF_HOUR, 99) == source.fetch(
        "stocks", aware, aware + HALF_HOUR, 99
    )
    first = source.fetch("stocks", aware, aware + HALF_HOUR, 99)
    assert first
    first[0]["body"] = "mutated"
    first[0].pop("id", None)
    again = source.fetch("stocks", aware, aware + HALF_HOUR, 99)
    assert again[0] != first[0]


def test_prices_window_sorting_and_types() -> None:
    source = ReplayPriceSource(SAMPLE)
    assert source.name == "replay"
    start, end = DAY + timedelta(hours=15), DAY + timedelta(hours=16, minutes=30)
    df = source.bars(["NVDA", "gme", "GME", "BBBY", "NOPE", "../prices/GME"], start, end)
    assert list(df.columns) == PRICE_COLUMNS
    assert df["ticker"].tolist() == ["GME"] * 3 + ["NVDA"] * 3
    stamps = [ts.isoformat() for ts in df["bar_start"]]
    assert stamps[:3] == [
        "2024-03-04T15:00:00+00:00",
        "2024-03-04T15:30:00+00:00",
        "2024-03-04T16:00:00+00:00",
    ]
    assert str(df["bar_start"].dt.tz) == "UTC"
    assert df["volume"].dtype == "int64"
    assert all(df[c].dtype == "float64" for c in ("open", "high", "low", "close"))
    raw = pd.read_csv(SAMPLE / "prices" / "GME.csv")
    assert df["close"].iloc[0] == float(raw["close"].iloc[1])  # 15:00 is the second bar of the day


def test_prices_unknown_only_and_empty_window() -> None:
    source = ReplayPriceSource(SAMPLE)
    empty = source.bars(["BBBY", "ZZZZ"], DAY, DAY + timedelta(days=2))
    assert empty.empty
    assert list(empty.columns) == PRICE_COLUMNS
    assert str(empty["bar_start"].dtype) == "datetime64[us, UTC]"
    night = source.bars(["GME"], DAY, DAY + timedelta(hours=14, minutes=30))
    assert night.empty
    both_days = source.bars(["SPY"], DAY, DAY + timedelta(days=2))
    assert len(both_days) == 26


def test_prices_are_parsed_once_per_instance(tmp_path: Path) -> None:
    (tmp_path / "prices").mkdir()
    shutil.copy(SAMPLE / "prices" / "AAPL.csv", tmp_path / "prices" / "AAPL.csv")
    source = ReplayPriceSource(tmp_path)
    window = (DAY, DAY + timedelta(days=1))
    before = source.bars(["AAPL"], *window)
    (tmp_path / "prices" / "AAPL.csv").unlink()
    pd.testing.assert_frame_equal(source.bars(["AAPL"], *window), before)
    assert ReplayPriceSource(tmp_path).bars(["AAPL"], *window).empty
