"""`tickerpulse import` of multi-day .zst dumps of growing size: peak memory must stay flat.

The dumps are generated here from the real r/wallstreetbets submissions of 2020-12-01
(../shared/data/wsb_pushshift_esbenkc/wallstreetbets.ndjson): each real record is repeated with a
new id and a new creation time, 300 records per 30-minute interval (a busy subreddit), so a
bigger dump covers more days, as a bigger Pushshift month does, and every interval is as full as
in the small one. Every tenth pair of records is swapped: real dumps are only roughly in time
order. Each dump is compressed with zstd's long-distance matching and, by default, a 128 MiB
window (`zstd --long`, window_log 27). The decoder must keep the file's window of recent output,
so that window is memory the *file* dictates: Pushshift's own dumps (`--long=31`) make any
decoder touch up to 2 GiB, growing with the output until the window is full, then flat. With
`--window-log 31` this benchmark measures that too; the default isolates what the importer
itself keeps, which must not grow with the dump.

Each import runs as its own process (`python -m tickerpulse.cli import`) into a fresh lake, and
its peak RSS is read from the kernel (`wait4`). The smallest dump, measured in the same run, is
the baseline of every ratio.

    .venv/bin/python benchmarks/bench_import.py [--sizes-mb 256,512,1024] [--keep]

Timings are wall-clock on a shared machine: noisy under contention; the RSS ratios are not.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import zstandard

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT.parent / "shared" / "data" / "wsb_pushshift_esbenkc" / "wallstreetbets.ndjson"
PER_INTERVAL = 300
START_EPOCH = 1_609_459_200  # 2021-01-01 00:00 UTC
MB = 1 << 20


@dataclass
class Measured:
    size_mb: int
    compressed: int
    lines: int
    days: float
    seconds: float
    peak_rss_mb: float
    partitions: int
    adds_up: bool


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if not number:
            return out


def generate(path: Path, target_bytes: int, window_log: int = 27) -> tuple[int, int]:
    """A dump of at least `target_bytes` uncompressed; returns (lines, uncompressed bytes)."""
    seen: set[str] = set()
    real = []
    for line in REAL.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if record["id"] not in seen:
            seen.add(record["id"])
            real.append(record)
    params = zstandard.ZstdCompressionParameters.from_level(
        3, window_log=window_log, enable_ldm=True
    )
    written = lines = 0
    step = 1800 / PER_INTERVAL
    with path.open("wb") as handle:
        with zstandard.ZstdCompressor(compression_params=params).stream_writer(handle) as out:
            pending: bytes | None = None
            while written < target_bytes:
                source = real[lines % len(real)]
                record = dict(source)
                record["id"] = f"z{_base36(lines)}"
                record["created_utc"] = int(START_EPOCH + lines * step)
                record["permalink"] = f"/r/wallstreetbets/comments/{record['id']}/x/"
                data = (json.dumps(record) + "\n").encode()
                if lines % 10 == 0:  # hold this one back: it goes out after the next
                    pending = data
                else:
                    out.write(data)
                    if pending is not None:
                        out.write(pending)
                        pending = None
                written += len(data)
                lines += 1
            if pending is not None:
                out.write(pending)
    return lines, written


def run_import(dump: Path, work: Path) -> tuple[float, float, dict[str, object]]:
    """(seconds, peak RSS in MB, summary) of one import in its own process."""
    env = dict(os.environ)
    env["TICKERPULSE_HOME"] = str(work / "home")
    env["TICKERPULSE_LAKE_URL"] = (work / "lake").as_uri()
    work.mkdir(parents=True, exist_ok=True)
    began = time.monotonic()
    with (work / "stdout.txt").open("wb") as out, (work / "stderr.txt").open("wb") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "tickerpulse.cli", "import", "--no-progress", str(dump)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=err,
        )
        # wait4, not wait: the kernel's account of this one child, peak RSS included.
        _pid, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.monotonic() - began
    if process.returncode != 0:
        tail = (work / "stderr.txt").read_text(errors="replace")[-3000:]
        raise SystemExit(f"import failed ({process.returncode}):\n{tail}")
    summaries = list((work / "lake" / "imports").glob("import=*/summary.json"))
    summary = json.loads(summaries[0].read_text()) if summaries else {}
    return seconds, usage.ru_maxrss / 1024, summary


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes-mb", default="256,512,1024")
    parser.add_argument("--keep", action="store_true", help="keep the dumps and lakes")
    parser.add_argument(
        "--window-log", type=int, default=27, help="zstd window, log2 bytes (Pushshift: 31)"
    )
    args = parser.parse_args(argv[1:])
    if not REAL.exists():
        print(f"shared data not present: {REAL}")
        return 1
    sizes = sorted(int(s) for s in args.sizes_mb.split(","))
    root = Path(tempfile.mkdtemp(prefix="tp-bench-import-"))
    results: list[Measured] = []
    try:
        for size_mb in sizes:
            dump = root / f"RS_{size_mb}MB.zst"
            began = time.monotonic()
            lines, raw = generate(dump, size_mb * MB, args.window_log)
            print(
                f"generated {dump.name}: {lines:,} lines, {raw / MB:,.0f} MB NDJSON, "
                f"{dump.stat().st_size / MB:,.0f} MB zstd in {time.monotonic() - began:.0f} s",
                flush=True,
            )
            work = root / f"run_{size_mb}"
            seconds, peak, summary = run_import(dump, work)
            results.append(
                Measured(
                    size_mb=size_mb,
                    compressed=dump.stat().st_size,
                    lines=int(summary.get("lines_read", 0)),  # type: ignore[call-overload]
                    days=lines / PER_INTERVAL / 48,
                    seconds=seconds,
                    peak_rss_mb=peak,
                    partitions=int(summary.get("partitions", 0)),  # type: ignore[call-overload]
                    adds_up=bool(summary.get("adds_up")),
                )
            )
            print(f"imported in {seconds:.0f} s, peak RSS {peak:.0f} MB", flush=True)
            if not args.keep:
                dump.unlink()
                shutil.rmtree(work, ignore_errors=True)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    base = results[0]
    print()
    print(
        "NDJSON MB  zstd MB  lines      days  partitions  seconds  MB/s   peak RSS MB  RSS ratio"
        "  size ratio  adds up"
    )
    for r in results:
        print(
            f"{r.size_mb:9,}  {r.compressed / MB:7.0f}  {r.lines:9,}  {r.days:4.1f}  "
            f"{r.partitions:10,}  {r.seconds:7.0f}  {r.size_mb / r.seconds:5.1f}  "
            f"{r.peak_rss_mb:11.0f}  {r.peak_rss_mb / base.peak_rss_mb:9.2f}  "
            f"{r.size_mb / base.size_mb:10.1f}  {'yes' if r.adds_up else 'NO'}"
        )
    flat = all(r.peak_rss_mb / base.peak_rss_mb < 1.25 for r in results)
    print(
        f"\npeak RSS {'flat' if flat else 'NOT flat'} as the dump grows "
        f"{results[-1].size_mb / base.size_mb:.0f}x (baseline: the {base.size_mb} MB dump)"
    )
    return 0 if flat and all(r.adds_up for r in results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
