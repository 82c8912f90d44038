"""`tickerpulse import`: archive lines into the raw zone, accounted for, idempotent, resumable.

Archives are written here as Pushshift writes them (one JSON object per line, zstd with a
2 GiB window, gzip or plain), and imported into a lake folder with the same code the CLI runs.
A kill is a real SIGKILL of a separate process, at a checkpoint chosen by a hook, so it lands at
the same place on every run.

Run as a module (`python -m tests.test_archive_import STAGE N LAKE WORK FILE...`) it is that
import process: it kills itself with SIGKILL at the N-th `STAGE` hook call.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard

from tickerpulse.archive import records
from tickerpulse.archive.files import ArchiveFile
from tickerpulse.archive.importer import ArchiveImportError, run_import
from tickerpulse.archive.summary import backfill_command, render
from tickerpulse.cli import main
from tickerpulse.intervals import Interval
from tickerpulse.lake import Lake
from tickerpulse.ops.retention import imported_days, prune_lake
from tickerpulse.parse import parse_record
from tickerpulse.schema import RAW_POST_SCHEMA
from tickerpulse.stages import paths

ROOT = Path(__file__).resolve().parents[1]
DAY = datetime(2021, 1, 28, tzinfo=UTC)
EPOCH = int(DAY.timestamp())


def post(ident: str, seconds: int, subreddit: str = "Robinhood", **extra: Any) -> dict[str, Any]:
    """A submission as Pushshift stores it."""
    return {
        "id": ident,
        "subreddit": subreddit,
        "author": f"user_{ident}",
        "created_utc": EPOCH + seconds,
        "title": f"title {ident}",
        "selftext": "GME is restricted",
        "score": 3,
        "num_comments": 1,
        "permalink": f"/r/{subreddit}/comments/{ident}/x/",
        **extra,
    }


def comment(ident: str, seconds: int, subreddit: str = "Robinhood") -> dict[str, Any]:
    return {
        "id": ident,
        "subreddit": subreddit,
        "author": f"user_{ident}",
        "created_utc": str(EPOCH + seconds),  # some Pushshift eras store it as a string
        "body": "selling my HOOD? it is not even listed",
        "score": 1,
        "parent_id": "t3_p1",
        "link_id": "t3_p1",
        "permalink": f"/r/{subreddit}/comments/p1/x/{ident}/",
    }


def ndjson(items: Sequence[Any]) -> bytes:
    return b"".join(
        (item if isinstance(item, bytes) else json.dumps(item).encode()) + b"\n" for item in items
    )


def zst_long_window(data: bytes) -> bytes:
    """zstd as Pushshift's `zstd --long=31` writes it: a frame that declares a 2 GiB window."""
    params = zstandard.ZstdCompressionParameters.from_level(3, window_log=31, enable_ldm=True)
    out = io.BytesIO()
    with zstandard.ZstdCompressor(compression_params=params).stream_writer(
        out, closefd=False
    ) as writer:
        writer.write(data)
    return out.getvalue()


MIXED = [
    post("p1", 60),
    comment("c1", 120),
    post("p2", 40 * 60),  # 00:40 -> interval 00:30
    b"{not json",
    b"",
    [1, 2],
    {"kind": "t3", "data": post("p3", 65 * 60)},  # Reddit API listing layout, 01:05
    {"kind": "more", "data": {"id": "x", "children": []}},
    {"id": "nosub", "created_utc": EPOCH, "title": "t"},
    {"subreddit": "Robinhood", "created_utc": EPOCH, "title": "no id"},
    post("late", 0, created_utc="yesterday"),
    post("p1", 60),  # the same submission again, as the real dump repeats its first 200 lines
    post("o1", 90, subreddit="investing"),
    post("p5", 3 * 3600 + 5),  # 03:00: leaves 01:30-02:30 without records
]


def _write(path: Path, items: Sequence[Any], compression: str = "zstd") -> Path:
    data = ndjson(items)
    if compression == "zstd":
        data = zst_long_window(data)
    elif compression == "gzip":
        data = gzip.compress(data, mtime=0)
    path.write_bytes(data)
    return path


def _partitions(lake_dir: Path) -> dict[str, bytes]:
    raw = lake_dir / "raw"
    return {
        str(p.relative_to(lake_dir)): p.read_bytes()
        for p in sorted(raw.rglob("*.parquet"))
        if not p.name.startswith(".")
    }


def _ids(lake: Lake, subreddit: str, start: datetime) -> list[str]:
    rel = paths.raw(subreddit, Interval(start, start.replace(minute=start.minute + 30)))
    return lake.read_table(rel, RAW_POST_SCHEMA).column("id").to_pylist()


def test_lines_are_placed_by_subreddit_and_interval_or_rejected_with_a_reason() -> None:
    placed = records.classify(json.dumps(post("p2", 40 * 60)).encode())
    assert placed == records.Placed("robinhood", EPOCH + 30 * 60)
    assert records.classify(b"{not json") == records.NOT_JSON
    assert records.classify(b"   \n") == records.EMPTY_LINE
    assert records.classify(b"[1, 2]") == records.NOT_AN_OBJECT
    assert records.classify(json.dumps({"kind": "more", "data": {}}).encode()) == (
        records.NOT_A_POST_OR_COMMENT
    )
    assert records.classify(b'{"id": "a1", "created_utc": 1}') == records.NO_SUBREDDIT
    assert records.classify(b'{"subreddit": "x", "created_utc": 1}') == records.NO_ID
    no_time = json.dumps(post("a", 0, created_utc="yesterday")).encode()
    assert records.classify(no_time) == records.NO_CREATED_UTC
    wrapped = json.dumps({"kind": "t1", "data": comment("c9", 0)}).encode()
    assert records.classify(wrapped) == records.Placed("robinhood", EPOCH)
    prefixed = {**post("q", 0), "subreddit": None, "subreddit_name_prefixed": "r/Finance"}
    assert records.classify(json.dumps(prefixed).encode()) == records.Placed("finance", EPOCH)


def test_an_unwrapped_listing_record_parses_like_a_praw_record() -> None:
    row = parse_record(
        records.load(json.dumps({"kind": "t3", "data": post("p3", 0)}).encode()), 0, "robinhood"
    )
    assert row["id"] == "t3_p3"
    assert row["kind"] == "post"
    assert row["parse_error"] is None


@pytest.mark.parametrize("compression", ["zstd", "gzip", "plain"])
def test_every_compression_streams_the_same_lines(tmp_path: Path, compression: str) -> None:
    items = [post(f"p{i}", i) for i in range(50)]
    path = _write(tmp_path / f"a.{compression}", items, compression)
    with ArchiveFile(path) as archive:
        lines = list(archive.lines())
        assert archive.offset == len(ndjson(items))
    assert lines == ndjson(items).splitlines(keepends=True)
    with ArchiveFile(path) as archive:  # resuming: skip to a recorded line boundary
        archive.skip_to(len(lines[0]) + len(lines[1]))
        assert next(archive.lines()) == lines[2]


def test_a_long_window_dump_needs_the_large_window(tmp_path: Path) -> None:
    data = zst_long_window(ndjson([post("p1", 0)]))
    with pytest.raises(zstandard.ZstdError):  # what a default decompressor says to Pushshift
        zstandard.ZstdDecompressor().stream_reader(io.BytesIO(data)).read()
    path = tmp_path / "RS_2021-01.zst"
    path.write_bytes(data)
    with ArchiveFile(path) as archive:
        assert len(list(archive.lines())) == 1


def test_import_accounts_for_every_line_and_merges_with_the_live_partition(
    tmp_path: Path,
) -> None:
    lake = Lake((tmp_path / "lake").as_uri())
    first = Interval(DAY, DAY.replace(minute=30))
    live = [parse_record({**post("p1", 60), "name": "t3_p1", "score": 99}, 0, "robinhood")]
    live.append(parse_record(post("live", 70), 1, "robinhood"))
    lake.write_table(paths.raw("robinhood", first), pa.Table.from_pylist(live, RAW_POST_SCHEMA))
    archive = _write(tmp_path / "RS.zst", MIXED)

    report = run_import([archive], lake, tmp_path / "work", checkpoint_lines=3)

    assert report.lines_read == len(MIXED)
    assert report.written == 5  # c1, p2, p3, o1, p5 (p1 was already in the live partition)
    assert report.already_in_lake == 2  # p1, and p1 again
    assert report.repeated_in_input == 0
    assert report.rejected == {
        "empty_line": 1,
        "no_created_utc": 1,
        "no_id": 1,
        "no_subreddit": 1,
        "not_a_post_or_comment": 1,
        "not_an_object": 1,
        "not_json": 1,
    }
    assert report.adds_up
    # The live rows stay first, untouched (score 99); the archive's new record follows.
    merged = lake.read_table(paths.raw("robinhood", first), RAW_POST_SCHEMA).to_pylist()
    assert [(r["id"], r["record_no"]) for r in merged] == [
        ("t3_p1", 0),
        ("t3_live", 1),
        ("t1_c1", 2),
    ]
    assert merged[0]["score"] == 99
    assert merged[2]["link_id"] == "t3_p1"
    # Every interval between the first and last record has a partition, empty or not.
    intervals = sorted(p.rel for p in report.partitions if "robinhood" in p.rel)
    assert [r.split("interval=")[1][:4] for r in intervals] == [
        "0000",
        "0030",
        "0100",
        "0130",
        "0200",
        "0230",
        "0300",
    ]
    empty = lake.read_table(
        paths.raw("robinhood", Interval(DAY.replace(hour=2), DAY.replace(hour=2, minute=30))),
        RAW_POST_SCHEMA,
    )
    assert empty.num_rows == 0
    assert _ids(lake, "investing", DAY) == ["t3_o1"]
    # Rejected lines are kept verbatim, with their reason and line number.
    rejected = pq.read_table(
        str(tmp_path / "lake" / "imports" / f"import={report.import_id}" / "rejected-00000.parquet")
    ).to_pylist()
    assert [(r["line_no"], r["reason"]) for r in rejected][:3] == [
        (4, "not_json"),
        (5, "empty_line"),
        (6, "not_an_object"),
    ]
    assert rejected[0]["line"] == "{not json"
    assert not (tmp_path / "work" / report.import_id).exists()  # the spool is gone


def test_the_summary_prints_the_day_table_and_the_backfill_command(tmp_path: Path) -> None:
    lake = Lake((tmp_path / "lake").as_uri())
    report = run_import([_write(tmp_path / "a.zst", MIXED)], lake, tmp_path / "work")
    text = render(report, start_date=datetime(2024, 3, 4, tzinfo=UTC))
    assert "lines read 14 = written 6 + already in the lake 0 + repeated in the input 1" in text
    assert "(adds up)" in text
    table = {line.split()[0]: line.split()[1:4] for line in text.splitlines() if "2021-" in line}
    assert table["robinhood"] == ["2021-01-28", "5", "4"]  # written, of which posts (c1 not)
    assert table["investing"] == ["2021-01-28", "1", "1"]
    command = backfill_command(report)
    assert command == (
        "airflow backfill create --dag-id reddit_sentiment "
        "--from-date 2021-01-28T00:00:00+00:00 --to-date 2021-01-28T03:00:00+00:00 "
        "--reprocess-behavior completed --max-active-runs 1 "
        """--dag-run-conf '{"subreddits": ["investing", "robinhood"]}'"""
    )
    assert command in text
    assert "TICKERPULSE_START_DATE=2021-01-28T00:00:00+00:00" in text


def test_importing_the_same_file_twice_changes_no_byte(tmp_path: Path) -> None:
    lake_dir = tmp_path / "lake"
    lake = Lake(lake_dir.as_uri())
    archive = _write(tmp_path / "a.zst", MIXED)
    first = run_import([archive], lake, tmp_path / "work")
    before = _partitions(lake_dir)
    again = run_import([archive], lake, tmp_path / "work")
    assert _partitions(lake_dir) == before
    assert again.written == 0
    assert again.already_in_lake == first.written + first.repeated_in_input
    assert not any(p.wrote_file for p in again.partitions)
    assert again.adds_up


def test_retention_keeps_imported_days_whatever_their_age(tmp_path: Path) -> None:
    lake_dir = tmp_path / "lake"
    lake = Lake(lake_dir.as_uri())
    run_import([_write(tmp_path / "a.zst", MIXED)], lake, tmp_path / "work")
    imported = _partitions(lake_dir)
    assert imported
    assert all("dt=2021-01-28" in rel for rel in imported)
    live_old = "raw/reddit/subreddit=robinhood/dt=2021-01-27/interval=2330.parquet"
    lake.write_bytes(live_old, b"collected live, not imported")

    result = prune_lake(lake, 400, 14, now=datetime(2026, 12, 1, tzinfo=UTC))

    assert imported_days(lake) == {date(2021, 1, 28)}
    assert _partitions(lake_dir) == imported  # byte for byte
    assert [d.rsplit("/", 1)[-1] for d in result["raw"].deleted] == ["dt=2021-01-27"]
    assert not lake.exists(live_old)


def test_only_the_subreddits_asked_for_are_imported_and_the_rest_counted(tmp_path: Path) -> None:
    lake = Lake((tmp_path / "lake").as_uri())
    report = run_import(
        [_write(tmp_path / "a.gz", MIXED, "gzip")], lake, tmp_path / "w", subreddits=["Investing"]
    )
    assert report.subreddits == ["investing"]
    assert report.skipped == {"subreddit_not_selected": 6}  # every placed r/Robinhood line
    assert report.adds_up


def test_a_missing_file_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(ArchiveImportError, match="no such file"):
        run_import([tmp_path / "nope.zst"], Lake(tmp_path.as_uri()), tmp_path / "w")
    assert main(["import", "--no-progress", str(tmp_path / "nope.zst")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_the_cli_imports_and_prints_the_summary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TICKERPULSE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TICKERPULSE_LAKE_URL", (tmp_path / "lake").as_uri())
    monkeypatch.setenv("TICKERPULSE_START_DATE", "2021-01-01")
    archive = _write(tmp_path / "a.zst", MIXED)
    assert main(["import", "--no-progress", str(archive)]) == 0
    out = capsys.readouterr().out
    assert "airflow backfill create --dag-id reddit_sentiment" in out
    assert "TICKERPULSE_START_DATE=" not in out  # already early enough
    assert (tmp_path / "lake" / "raw" / "reddit" / "subreddit=robinhood").is_dir()


def test_extract_reads_the_imported_partition_and_never_calls_reddit(tmp_path: Path) -> None:
    from tickerpulse.config import load_settings
    from tickerpulse.stages import extract
    from tickerpulse.stages.context import RunParams, StageContext

    lake_dir = tmp_path / "lake"
    run_import([_write(tmp_path / "a.zst", MIXED)], Lake(lake_dir.as_uri()), tmp_path / "w")
    settings = load_settings()
    # praw with no connection configured: any call to Reddit would raise.
    settings = settings.model_copy(update={"lake_url": lake_dir.as_uri(), "reddit_source": "praw"})
    params = RunParams(("robinhood",), 1000, "offline")
    for hour, minute, count in ((0, 0, 2), (2, 0, 0)):  # p1 and c1; an empty filled interval
        start = DAY.replace(hour=hour, minute=minute)
        ctx = StageContext(Interval(start, start.replace(minute=30)), params, settings)
        out = extract.run(ctx)
        assert out["origins"] == {"robinhood": "lake"}
        assert out["extracted"] == count


# --- a kill mid-import, then a re-run ------------------------------------------------------------


def _killed_import(stage: str, at: int, lake_dir: Path, work: Path, files: list[Path]) -> None:
    child = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.test_archive_import",
            stage,
            str(at),
            str(lake_dir),
            str(work),
            *map(str, files),
        ],
        cwd=ROOT,
        env=os.environ.copy(),
        capture_output=True,
        timeout=300,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr.decode()[-2000:]


def _many(n: int, start: int = 0) -> list[dict[str, Any]]:
    """n records over many intervals, not quite in time order (as real dumps are)."""
    out: list[dict[str, Any]] = []
    for i in range(start, start + n):
        seconds = (i * 397) % (6 * 3600)
        out.append(post(f"k{i}", seconds) if i % 3 else comment(f"k{i}", seconds))
    return out


@pytest.mark.parametrize(
    ("stage", "at"),
    # The merge-phase child imports Airflow (the lake's ObjectStoragePath): a few seconds more.
    [("spool", 4), pytest.param("merge", 5, marks=pytest.mark.slow)],
)
def test_a_kill_mid_import_then_a_rerun_gives_the_clean_partitions(
    tmp_path: Path, stage: str, at: int
) -> None:
    files = [
        _write(tmp_path / "RS_a.zst", _many(300)),
        _write(tmp_path / "RC_b.zst", [*_many(200, start=300), b"oops", *_many(20)]),
    ]
    clean_dir = tmp_path / "clean"
    clean = run_import(files, Lake(clean_dir.as_uri()), tmp_path / "w1", checkpoint_lines=50)

    killed_dir, work = tmp_path / "killed", tmp_path / "w2"
    _killed_import(stage, at, killed_dir, work, files)
    assert (work / clean.import_id / "state.json").exists()  # it stopped half way
    resumed = run_import(files, Lake(killed_dir.as_uri()), work, checkpoint_lines=50)

    assert resumed.resumed
    assert _partitions(killed_dir) == _partitions(clean_dir)
    counts = {k: v for k, v in clean.to_dict().items() if k != "rejected_urls"}
    assert {k: v for k, v in resumed.to_dict().items() if k != "rejected_urls"} == counts
    rejects = f"imports/import={clean.import_id}/rejected-00000.parquet"
    assert (killed_dir / rejects).read_bytes() == (clean_dir / rejects).read_bytes()


def _child(argv: list[str]) -> None:
    stage, at, lake_dir, work, *files = argv
    calls = {"n": 0}

    def hook(seen: str, _n: int) -> None:
        if seen == stage:
            calls["n"] += 1
            if calls["n"] == int(at):
                os.kill(os.getpid(), signal.SIGKILL)

    run_import(
        [Path(f) for f in files],
        Lake(Path(lake_dir).as_uri()),
        Path(work),
        checkpoint_lines=50,
        hook=hook,
    )


if __name__ == "__main__":
    _child(sys.argv[1:])
