"""Merge one partition's spooled archive records into the raw zone, by fullname.

The result is what `extract` writes (RAW_POST_SCHEMA rows from `parse_record`, the same path
from `stages.paths.raw`, one atomic `Lake.write_table`), so the pipeline cannot tell an imported
interval from a collected one. Rows already in the partition (from the live source or an earlier
import) stay exactly as they are, in their order and with their record numbers; records whose
fullname is new are appended after them, sorted by (created_utc, fullname) and numbered on from
the last record number. A partition that gains nothing is not written at all, which is what makes
a second import of the same archive leave every partition byte for byte as it was.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from tickerpulse.archive.records import load
from tickerpulse.intervals import INTERVAL, Interval
from tickerpulse.lake import Lake
from tickerpulse.parse import parse_record
from tickerpulse.schema import RAW_POST_SCHEMA
from tickerpulse.stages import paths


@dataclass(frozen=True)
class MergeResult:
    rel: str
    written: int  # records new to the partition
    posts: int  # of which posts
    comments: int  # of which comments
    already_in_lake: int  # fullname already in the partition before this import
    repeated_in_input: int  # fullname seen earlier in this import's input
    wrote_file: bool  # False: the partition already held everything (or nothing was new)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rel": self.rel,
            "written": self.written,
            "posts": self.posts,
            "comments": self.comments,
            "already_in_lake": self.already_in_lake,
            "repeated_in_input": self.repeated_in_input,
            "wrote_file": self.wrote_file,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MergeResult:
        return cls(**data)


def interval_of(epoch: int) -> Interval:
    start = datetime.fromtimestamp(epoch, UTC)
    return Interval(start, start + INTERVAL)


def merge_partition(
    lake: Lake, subreddit: str, interval_epoch: int, lines: Iterable[bytes]
) -> MergeResult:
    rel = paths.raw(subreddit, interval_of(interval_epoch))
    existing = lake.read_table(rel, RAW_POST_SCHEMA) if lake.exists(rel) else None
    known: set[str] = set()
    next_no = 0
    if existing is not None and existing.num_rows:
        known = {i for i in existing.column("id").to_pylist() if i is not None}
        next_no = int(pc.max(existing.column("record_no")).as_py()) + 1
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    already = repeated = 0
    for line in lines:
        row = parse_record(load(line), 0, subreddit)
        fullname = row["id"]
        if fullname in known:
            already += 1
        elif fullname in seen:
            repeated += 1
        else:
            seen.add(fullname)
            rows.append(row)
    posts = sum(1 for r in rows if r["kind"] == "post")
    if not rows and existing is not None:
        return MergeResult(rel, 0, 0, 0, already, repeated, wrote_file=False)
    rows.sort(key=lambda r: (r["created_utc"], r["id"]))
    for offset, row in enumerate(rows):
        row["record_no"] = next_no + offset
    table = pa.Table.from_pylist(rows, schema=RAW_POST_SCHEMA)
    if existing is not None:
        table = pa.concat_tables([existing, table])
    lake.write_table(rel, table)
    return MergeResult(rel, len(rows), posts, len(rows) - posts, already, repeated, True)
