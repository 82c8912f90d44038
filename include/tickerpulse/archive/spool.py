"""The importer's local spool: archive lines grouped by (subreddit, interval), in input order.

An archive is sorted roughly by time, not exactly, and a partition may only be written once all
of its records are known, which is at the end of the file. So the first pass appends each line
to a file of its own partition on local disk, and the second pass merges one partition at a
time into the lake: memory holds one partition, never the archive.

A checkpoint flushes every file and records its size. After a kill, `restore` cuts each file
back to its checkpointed size (and removes files created after it), so the spool holds exactly
the lines before the checkpoint, and reading resumes from the offset recorded with it.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

MAX_OPEN = 64  # open file handles at once; an archive sorted by time touches few at a time
REJECTED = "rejected.ndjson"


def partition_name(subreddit: str, interval_epoch: int) -> str:
    start = datetime.fromtimestamp(interval_epoch, UTC)
    return f"subreddit={subreddit}/dt={start:%Y-%m-%d}/{start:%H%M}.ndjson"


def parse_partition_name(name: str) -> tuple[str, int]:
    """(subreddit, interval epoch) of a spool file's relative name."""
    sub_part, day_part, file_part = name.split("/")
    start = datetime.strptime(
        f"{day_part.removeprefix('dt=')} {file_part.removesuffix('.ndjson')}", "%Y-%m-%d %H%M"
    ).replace(tzinfo=UTC)
    return sub_part.removeprefix("subreddit="), int(start.timestamp())


class Spool:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self._open: OrderedDict[str, IO[bytes]] = OrderedDict()
        self._name_of: dict[tuple[str, int], str] = {}  # one entry per partition, not per line

    def _handle(self, name: str) -> IO[bytes]:
        handle = self._open.get(name)
        if handle is not None:
            self._open.move_to_end(name)
            return handle
        if len(self._open) >= MAX_OPEN:
            _, oldest = self._open.popitem(last=False)
            oldest.close()
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = path.open("ab")
        self._open[name] = handle
        return handle

    def add(self, subreddit: str, interval_epoch: int, line: bytes) -> None:
        key = (subreddit, interval_epoch)
        name = self._name_of.get(key)
        if name is None:
            name = self._name_of[key] = partition_name(subreddit, interval_epoch)
        self._handle(name).write(_terminated(line))

    def reject(self, entry: bytes) -> None:
        self._handle(REJECTED).write(_terminated(entry))

    def flush(self) -> None:
        for handle in self._open.values():
            handle.flush()

    def close(self) -> None:
        for handle in self._open.values():
            handle.close()
        self._open.clear()

    def sizes(self) -> dict[str, int]:
        """Flush, then every spool file's size: the checkpoint."""
        self.flush()
        return {name: (self.root / name).stat().st_size for name in self._names()}

    def restore(self, sizes: dict[str, int]) -> None:
        """Back to a checkpoint: files cut to their recorded size, later files removed."""
        self.close()
        for name in self._names():
            path = self.root / name
            keep = sizes.get(name, 0)
            if keep == 0:
                path.unlink()
            elif path.stat().st_size != keep:
                with path.open("r+b") as handle:
                    handle.truncate(keep)

    def partitions(self) -> list[tuple[str, int]]:
        """(subreddit, interval epoch) of every partition with spooled lines, in order."""
        return sorted(parse_partition_name(n) for n in self._names() if n != REJECTED)

    def lines(self, subreddit: str, interval_epoch: int) -> Iterator[bytes]:
        path = self.root / partition_name(subreddit, interval_epoch)
        if not path.exists():
            return
        with path.open("rb") as handle:
            yield from handle

    def rejected(self) -> Iterator[bytes]:
        path = self.root / REJECTED
        if not path.exists():
            return
        with path.open("rb") as handle:
            yield from handle

    def _names(self) -> list[str]:
        names = []
        for folder, _dirs, files in os.walk(self.root):
            for file in files:
                names.append(str((Path(folder) / file).relative_to(self.root)))
        return sorted(names)


def _terminated(line: bytes) -> bytes:
    line = line.rstrip(b"\r\n")
    return line + b"\n"
