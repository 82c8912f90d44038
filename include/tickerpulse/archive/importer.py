"""Import archive files into the raw zone: spool by partition, then merge partition by partition.

Pass 1 streams every line of every file once: a placed line is appended to its partition's spool
file (local disk), a rejected line to the rejects spool with its reason, a line of a subreddit not
asked for is counted and skipped. Every `checkpoint_lines` lines the spool is flushed and the
position in the input is recorded in `state.json` (written atomically), so a killed import comes
back to its last checkpoint instead of the start.

Pass 2 merges each partition into the lake (`merge.merge_partition`), filling every interval
between a subreddit's first and last record with a partition, empty if need be: the archive
covers that range, and an interval with no partition would make `extract` ask Reddit, which
cannot reach back that far. Each merged partition is appended to a journal, so a kill in pass 2
resumes after the last partition written, and the counts of the finished import are those of
one clean run. (A kill in the instant between a partition's write and its journal line makes
the re-run count that partition's records as already in the lake; the partition is the same.)
At the end the rejected lines go to the lake beside a summary, and the local spool is removed.

Every line is accounted for: lines read = written + already in the lake + repeated in the input
+ skipped + rejected, and the summary says whether it adds up.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import shutil
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, Any

import pyarrow as pa

from tickerpulse.archive.files import ArchiveFile, fingerprint
from tickerpulse.archive.merge import MergeResult, interval_of, merge_partition
from tickerpulse.archive.records import Placed, classify, decode
from tickerpulse.archive.spool import Spool
from tickerpulse.intervals import INTERVAL
from tickerpulse.lake import Lake
from tickerpulse.stages import paths as lake_paths

log = logging.getLogger(__name__)

STATE_VERSION = 1
DEFAULT_CHECKPOINT_LINES = 100_000
REJECTS_PER_FILE = 50_000
PROGRESS_EVERY = 4096  # lines between progress updates
SUBREDDIT_NOT_SELECTED = "subreddit_not_selected"
REJECTED_SCHEMA = pa.schema(
    [
        pa.field("source_file", pa.string(), nullable=False),
        pa.field("line_no", pa.int64(), nullable=False),
        pa.field("reason", pa.string(), nullable=False),
        pa.field("line", pa.string(), nullable=False),
    ]
)
_STEP = int(INTERVAL.total_seconds())

# A progress callback: (stage, done, total) with stage "read" (bytes) or "merge" (partitions).
Progress = Callable[[str, int, int], None]
# Called after each checkpoint of pass 1 ("spool", n) and each partition of pass 2 ("merge", n).
Hook = Callable[[str, int], None]


class ArchiveImportError(RuntimeError):
    """The import cannot run as asked (a missing file, another import of the same files)."""


@dataclass
class ImportReport:
    import_id: str
    files: list[str]
    lines_read: int
    rejected: dict[str, int]
    skipped: dict[str, int]
    partitions: list[MergeResult]
    rejected_urls: list[str] = field(default_factory=list)
    summary_url: str | None = None
    resumed: bool = False

    @property
    def written(self) -> int:
        return sum(p.written for p in self.partitions)

    @property
    def already_in_lake(self) -> int:
        return sum(p.already_in_lake for p in self.partitions)

    @property
    def repeated_in_input(self) -> int:
        return sum(p.repeated_in_input for p in self.partitions)

    @property
    def adds_up(self) -> bool:
        return self.lines_read == (
            self.written
            + self.already_in_lake
            + self.repeated_in_input
            + sum(self.skipped.values())
            + sum(self.rejected.values())
        )

    @property
    def subreddits(self) -> list[str]:
        return sorted({_subreddit_of(p.rel) for p in self.partitions})

    @property
    def first_interval(self) -> datetime | None:
        starts = [_interval_start_of(p.rel) for p in self.partitions]
        return min(starts) if starts else None

    @property
    def last_interval(self) -> datetime | None:
        starts = [_interval_start_of(p.rel) for p in self.partitions]
        return max(starts) if starts else None

    def to_dict(self) -> dict[str, Any]:
        first, last = self.first_interval, self.last_interval
        return {
            "import_id": self.import_id,
            "files": self.files,
            "lines_read": self.lines_read,
            "written": self.written,
            "already_in_lake": self.already_in_lake,
            "repeated_in_input": self.repeated_in_input,
            "skipped": dict(sorted(self.skipped.items())),
            "rejected": dict(sorted(self.rejected.items())),
            "adds_up": self.adds_up,
            "partitions": len(self.partitions),
            "partitions_written": sum(1 for p in self.partitions if p.wrote_file),
            "first_interval": first.isoformat() if first else None,
            "last_interval": last.isoformat() if last else None,
            "subreddits": self.subreddits,
            "rejected_urls": self.rejected_urls,
        }


def _subreddit_of(rel: str) -> str:
    return rel.split("subreddit=", 1)[1].split("/", 1)[0]


def _interval_start_of(rel: str) -> datetime:
    day = rel.split("dt=", 1)[1][:10]
    hhmm = rel.split("interval=", 1)[1][:4]
    return datetime.strptime(f"{day} {hhmm}", "%Y-%m-%d %H%M").replace(tzinfo=UTC)


def day_of(result: MergeResult) -> date:
    return _interval_start_of(result.rel).date()


def import_id(fingerprints: Sequence[str], subreddits: Iterable[str] | None) -> str:
    key = json.dumps({"files": list(fingerprints), "subreddits": sorted(subreddits or [])})
    return hashlib.sha256(key.encode()).hexdigest()[:16]


class _State:
    """state.json (pass 1 position, counts, spool sizes) and merged.jsonl (pass 2 journal)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path = folder / "state.json"
        self.journal = folder / "merged.jsonl"

    def load(self) -> dict[str, Any] | None:
        if not self.path.exists():
            return None
        data: dict[str, Any] = json.loads(self.path.read_text(encoding="utf-8"))
        return data if data.get("version") == STATE_VERSION else None

    def save(self, state: dict[str, Any]) -> None:
        tmp = self.path.with_suffix(".tmp")
        with tmp.open("w", encoding="utf-8") as handle:
            json.dump(state, handle, sort_keys=True)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.path)

    def merged(self) -> dict[str, MergeResult]:
        done: dict[str, MergeResult] = {}
        if not self.journal.exists():
            return done
        for line in self.journal.read_text(encoding="utf-8").splitlines():
            try:
                result = MergeResult.from_dict(json.loads(line))
            except (ValueError, TypeError):
                break  # a line cut short by a kill: that partition is merged again
            done[result.rel] = result
        return done

    def record_merge(self, handle: IO[str], result: MergeResult) -> None:
        handle.write(json.dumps(result.to_dict(), sort_keys=True) + "\n")
        handle.flush()


def run_import(
    paths: Sequence[Path],
    lake: Lake,
    work_dir: Path,
    *,
    subreddits: Iterable[str] | None = None,
    checkpoint_lines: int = DEFAULT_CHECKPOINT_LINES,
    progress: Progress | None = None,
    hook: Hook | None = None,
) -> ImportReport:
    """Import `paths` into `lake`, staged under `work_dir/<import id>/`; resumes one found there."""
    files = [Path(p) for p in paths]
    for path in files:
        if not path.is_file():
            raise ArchiveImportError(f"{path}: no such file")
    if checkpoint_lines < 1:
        raise ArchiveImportError("checkpoint_lines must be at least 1")
    wanted = frozenset(s.strip().lower() for s in subreddits) if subreddits else None
    prints = [fingerprint(p) for p in files]
    ident = import_id(prints, wanted)
    folder = Path(work_dir) / ident
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / ".lock").open("w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise ArchiveImportError(
                f"another import of the same files is running (staging folder {folder})"
            ) from exc
        report = _run_locked(
            files, prints, ident, folder, lake, wanted, checkpoint_lines, progress, hook
        )
    shutil.rmtree(folder, ignore_errors=True)
    return report


def _run_locked(
    files: list[Path],
    prints: list[str],
    ident: str,
    folder: Path,
    lake: Lake,
    wanted: frozenset[str] | None,
    checkpoint_lines: int,
    progress: Progress | None,
    hook: Hook | None,
) -> ImportReport:
    store = _State(folder)
    spool = Spool(folder / "spool")
    state = store.load()
    resumed = state is not None
    if state is None:
        state = {
            "version": STATE_VERSION,
            "import_id": ident,
            "phase": "spool",
            "files": [
                {"path": str(p), "fingerprint": fp, "offset": 0, "lines": 0, "done": False}
                for p, fp in zip(files, prints, strict=True)
            ],
            "lines_read": 0,
            "rejected": {},
            "skipped": {},
            "spool": {},
        }
        spool.restore({})  # a folder left by a kill before the first checkpoint
        store.journal.unlink(missing_ok=True)
        store.save(state)
    else:
        log.info("import %s: resuming (%s phase)", ident, state["phase"])
    if state["phase"] == "spool":
        spool.restore(state["spool"])
        _spool_files(files, state, spool, store, wanted, checkpoint_lines, progress, hook)
        state["phase"] = "merge"
        store.save(state)
    spool.close()
    results = _merge_all(spool, store, lake, progress, hook)
    report = ImportReport(
        import_id=ident,
        files=[str(p) for p in files],
        lines_read=int(state["lines_read"]),
        rejected=dict(state["rejected"]),
        skipped=dict(state["skipped"]),
        partitions=results,
        resumed=resumed,
    )
    report.rejected_urls = _write_rejects(spool, lake, ident)
    report.summary_url = lake.write_bytes(
        f"imports/import={ident}/summary.json",
        json.dumps(report.to_dict(), indent=2, sort_keys=True).encode(),
    )
    return report


def _spool_files(
    files: list[Path],
    state: dict[str, Any],
    spool: Spool,
    store: _State,
    wanted: frozenset[str] | None,
    checkpoint_lines: int,
    progress: Progress | None,
    hook: Hook | None,
) -> None:
    total = sum(p.stat().st_size for p in files)
    base = 0  # compressed bytes of the files already done, for the progress bar
    rejected: Counter[str] = Counter(state["rejected"])
    skipped: Counter[str] = Counter(state["skipped"])
    checkpoints = 0
    for entry, path in zip(state["files"], files, strict=True):
        if entry["done"]:
            base += path.stat().st_size
            continue
        with ArchiveFile(path) as archive:
            archive.skip_to(int(entry["offset"]))
            line_no = int(entry["lines"])
            since = 0
            for line in archive.lines():
                line_no += 1
                since += 1
                placed = classify(line)
                if isinstance(placed, Placed):
                    if wanted is not None and placed.subreddit not in wanted:
                        skipped[SUBREDDIT_NOT_SELECTED] += 1
                    else:
                        spool.add(placed.subreddit, placed.interval_epoch, line)
                else:
                    rejected[placed] += 1
                    spool.reject(_reject_entry(path, line_no, placed, line))
                if progress is not None and line_no % PROGRESS_EVERY == 0:
                    progress("read", base + archive.compressed_position, total)
                if since >= checkpoint_lines:
                    state["lines_read"] += since
                    since = 0
                    entry["offset"], entry["lines"] = archive.offset, line_no
                    _checkpoint(state, spool, store, rejected, skipped)
                    checkpoints += 1
                    if hook is not None:
                        hook("spool", checkpoints)
            state["lines_read"] += since
            entry["offset"], entry["lines"], entry["done"] = archive.offset, line_no, True
            _checkpoint(state, spool, store, rejected, skipped)
        base += path.stat().st_size
        if progress is not None:
            progress("read", base, total)


def _checkpoint(
    state: dict[str, Any],
    spool: Spool,
    store: _State,
    rejected: Counter[str],
    skipped: Counter[str],
) -> None:
    state["rejected"], state["skipped"] = dict(rejected), dict(skipped)
    state["spool"] = spool.sizes()
    store.save(state)


def _reject_entry(path: Path, line_no: int, reason: str, line: bytes) -> bytes:
    entry = {"source_file": path.name, "line_no": line_no, "reason": reason, "line": decode(line)}
    return json.dumps(entry, ensure_ascii=False).encode("utf-8")


def _merge_all(
    spool: Spool,
    store: _State,
    lake: Lake,
    progress: Progress | None,
    hook: Hook | None,
) -> list[MergeResult]:
    spooled = spool.partitions()
    todo = sorted(set(spooled) | set(_fill(spooled)))
    done = store.merged()
    results = []
    with store.journal.open("a", encoding="utf-8") as journal:
        for n, (subreddit, epoch) in enumerate(todo, start=1):
            rel = lake_paths.raw(subreddit, interval_of(epoch))
            result = done.get(rel)
            if result is None:
                result = merge_partition(lake, subreddit, epoch, spool.lines(subreddit, epoch))
                store.record_merge(journal, result)
                if hook is not None:
                    hook("merge", n)
            results.append(result)
            if progress is not None:
                progress("merge", n, len(todo))
    return results


def _fill(spooled: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """Every interval between each subreddit's first and last spooled one."""
    bounds: dict[str, tuple[int, int]] = {}
    for subreddit, epoch in spooled:
        lo, hi = bounds.get(subreddit, (epoch, epoch))
        bounds[subreddit] = (min(lo, epoch), max(hi, epoch))
    return [
        (subreddit, epoch)
        for subreddit, (lo, hi) in sorted(bounds.items())
        for epoch in range(lo, hi + _STEP, _STEP)
    ]


def _write_rejects(spool: Spool, lake: Lake, ident: str) -> list[str]:
    """The rejected lines, verbatim with their reason, as Parquet beside the import's summary."""
    urls, chunk, part = [], [], 0
    for raw in spool.rejected():
        chunk.append(json.loads(raw))
        if len(chunk) >= REJECTS_PER_FILE:
            urls.append(_write_reject_part(lake, ident, part, chunk))
            chunk, part = [], part + 1
    if chunk:
        urls.append(_write_reject_part(lake, ident, part, chunk))
    return urls


def _write_reject_part(lake: Lake, ident: str, part: int, rows: list[dict[str, Any]]) -> str:
    table = pa.Table.from_pylist(rows, schema=REJECTED_SCHEMA)
    return lake.write_table(f"imports/import={ident}/rejected-{part:05d}.parquet", table)
