"""Replay recorded Reddit records from day files, as if Reddit were answering live.

Layout: `<root>/reddit/subreddit=<name>/dt=<YYYY-MM-DD>.jsonl`, one Reddit `data` object per line.

The replay must never lose a record, because the pipeline reconciles what entered a run against
what was loaded, quarantined or dropped. So every line of a day file belongs to exactly one
30-minute interval of that day:

- a record with a usable `created_utc` inside the file's day goes to the interval containing it;
- otherwise (garbage such as "yesterday", or a time outside the day) its `retrieved_utc` decides,
  when that is usable and inside the day;
- otherwise, and for lines that are not JSON objects at all, the record goes to the day's first
  interval (00:00-00:30), the latter wrapped as `{"_unparseable_line": ..., "subreddit": ...,
  "retrieved_utc": <day start epoch>}` so the parser can quarantine it with a reason.

"Usable" is the parser's own rule (`tickerpulse.parse.as_epoch`), so the interval a record is
replayed into agrees with the timestamp the raw zone will show for it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from tickerpulse.parse import as_epoch
from tickerpulse.sources.base import RedditRecord

_DAY = 86_400
_SUBREDDIT_NAME = re.compile(r"^[A-Za-z0-9_]{1,50}$")


@dataclass(frozen=True)
class _Line:
    when: float  # the epoch that decides the line's interval
    text: str  # the line as stored; parsed again on every fetch so callers may mutate results
    is_object: bool


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _placement_time(record: dict[str, Any], day_start: float) -> float:
    for key in ("created_utc", "retrieved_utc"):
        epoch = as_epoch(record.get(key))
        if epoch is not None and day_start <= epoch < day_start + _DAY:
            return epoch
    return day_start


class ReplayRedditSource:
    """A `RedditSource` over a folder of recorded day files (the shipped sample by default)."""

    name = "replay"

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._cache: dict[Path, list[_Line]] = {}

    def fetch(
        self, subreddit: str, start: datetime, end: datetime, limit: int
    ) -> list[RedditRecord]:
        if not _SUBREDDIT_NAME.match(subreddit):
            raise ValueError(f"not a subreddit name: {subreddit!r}")
        start, end = _utc(start), _utc(end)
        lo, hi = start.timestamp(), end.timestamp()
        if hi <= lo or limit <= 0:
            return []
        matched: list[tuple[float, int, _Line]] = []
        for path in self._day_files(subreddit, start.date(), (end - timedelta.resolution).date()):
            for line in self._lines(path):
                if lo <= line.when < hi:
                    matched.append((line.when, len(matched), line))
        if len(matched) > limit:
            # The first `limit` in time order, still handed back in file order.
            kept = sorted(matched, key=lambda m: (m[0], m[1]))[:limit]
            matched = sorted(kept, key=lambda m: m[1])
        return [self._record(line, subreddit) for *_, line in matched]

    def _day_files(self, subreddit: str, first: date, last: date) -> list[Path]:
        folder = self.root / "reddit" / f"subreddit={subreddit}"
        if not folder.is_dir():
            folder = self.root / "reddit" / f"subreddit={subreddit.lower()}"
        paths = []
        day = first
        while day <= last:
            path = folder / f"dt={day:%Y-%m-%d}.jsonl"
            if path.is_file():
                paths.append(path)
            day += timedelta(days=1)
        return paths

    def _lines(self, path: Path) -> list[_Line]:
        cached = self._cache.get(path)
        if cached is not None:
            return cached
        day = date.fromisoformat(path.stem.removeprefix("dt="))
        day_start = datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()
        lines: list[_Line] = []
        # errors="replace": a stray invalid byte must cost one character, not the whole file.
        with path.open(encoding="utf-8", errors="replace", newline="\n") as handle:
            for raw in handle:
                text = raw.rstrip("\r\n").lstrip("\ufeff")
                if not text.strip():
                    continue
                try:
                    value = json.loads(text)
                except ValueError:
                    value = None
                if isinstance(value, dict):
                    lines.append(_Line(_placement_time(value, day_start), text, True))
                else:
                    lines.append(_Line(day_start, text, False))  # the day's first interval
        self._cache[path] = lines
        return lines

    def refresh(self, post_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The recorded state of these fullnames: a replay's scores never move, but the late-score
        task runs the same code path offline. Records may carry a later snapshot as
        `refreshed_score` / `refreshed_num_comments` / `removed_by_category`."""
        from tickerpulse.sources.base import refreshed_state

        wanted = set(post_ids)
        out: dict[str, dict[str, Any]] = {}
        for path in sorted((self.root / "reddit").glob("subreddit=*/dt=*.jsonl")):
            for line in self._lines(path):
                if not line.is_object:
                    continue
                record = json.loads(line.text)
                name = record.get("name")
                if name in wanted and name not in out:
                    data = dict(record)
                    data["score"] = record.get("refreshed_score", record.get("score"))
                    data["num_comments"] = record.get(
                        "refreshed_num_comments", record.get("num_comments")
                    )
                    out[str(name)] = refreshed_state(data)
        return out

    @staticmethod
    def _record(line: _Line, subreddit: str) -> RedditRecord:
        if line.is_object:
            record: RedditRecord = json.loads(line.text)
            return record
        return {
            "_unparseable_line": line.text,
            "subreddit": subreddit,
            "retrieved_utc": int(line.when),
        }
