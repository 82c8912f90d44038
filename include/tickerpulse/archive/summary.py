"""What `tickerpulse import` prints: the line accounting, a per-subreddit per-day table, the
rejects by reason, and the backfill command that runs the imported range through the pipeline."""

from __future__ import annotations

import json
import shlex
from collections import defaultdict
from datetime import datetime

from tickerpulse.archive.importer import ImportReport, day_of
from tickerpulse.archive.merge import MergeResult

DAG_ID = "reddit_sentiment"


def backfill_command(report: ImportReport) -> str | None:
    """`airflow backfill create` over the imported intervals (both ends included, as Airflow's
    backfill counts them: the run at logical date T processes [T, T + 30 min))."""
    first, last = report.first_interval, report.last_interval
    if first is None or last is None:
        return None
    conf = json.dumps({"subreddits": report.subreddits})
    return " ".join(
        [
            "airflow backfill create",
            f"--dag-id {DAG_ID}",
            f"--from-date {first.isoformat()}",
            f"--to-date {last.isoformat()}",
            "--reprocess-behavior completed",
            "--max-active-runs 1",
            f"--dag-run-conf {shlex.quote(conf)}",
        ]
    )


def _table(headers: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(headers)]
    out = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))]
    out.append("  ".join("-" * w for w in widths))
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return out


def _per_day(partitions: list[MergeResult]) -> list[list[str]]:
    groups: dict[tuple[str, str], list[MergeResult]] = defaultdict(list)
    for p in partitions:
        subreddit = p.rel.split("subreddit=", 1)[1].split("/", 1)[0]
        groups[(subreddit, day_of(p).isoformat())].append(p)
    rows = []
    for (subreddit, day), parts in sorted(groups.items()):
        rows.append(
            [
                subreddit,
                day,
                f"{sum(p.written for p in parts):,}",
                f"{sum(p.posts for p in parts):,}",
                f"{sum(p.comments for p in parts):,}",
                f"{sum(p.already_in_lake for p in parts):,}",
                f"{sum(p.repeated_in_input for p in parts):,}",
                f"{len(parts)}",
                f"{sum(1 for p in parts if p.wrote_file)}",
            ]
        )
    return rows


def render(report: ImportReport, start_date: datetime, seconds: float | None = None) -> str:
    rejected, skipped = sum(report.rejected.values()), sum(report.skipped.values())
    took = f" in {seconds:.1f} s" if seconds is not None else ""
    lines = [
        f"import {report.import_id}{' (resumed)' if report.resumed else ''}: "
        f"{len(report.files)} file(s), {report.lines_read:,} lines read{took}",
        f"lines read {report.lines_read:,} = written {report.written:,}"
        f" + already in the lake {report.already_in_lake:,}"
        f" + repeated in the input {report.repeated_in_input:,}"
        f" + skipped {skipped:,} + rejected {rejected:,}"
        f" ({'adds up' if report.adds_up else 'DOES NOT ADD UP'})",
        "",
    ]
    if report.partitions:
        lines += _table(
            [
                "subreddit",
                "day (UTC)",
                "written",
                "posts",
                "comments",
                "already",
                "repeated",
                "intervals",
                "files written",
            ],
            _per_day(report.partitions),
        )
    else:
        lines.append("no record could be placed in the raw zone")
    lines.append("")
    if report.rejected:
        lines.append("rejected, by reason (each line kept with its reason):")
        lines += [f"  {reason}: {n:,}" for reason, n in sorted(report.rejected.items())]
        lines += [f"  {url}" for url in report.rejected_urls]
    else:
        lines.append("rejected: none")
    if report.skipped:
        lines += [f"skipped ({reason}): {n:,}" for reason, n in sorted(report.skipped.items())]
    if report.summary_url:
        lines.append(f"summary: {report.summary_url}")
    command = backfill_command(report)
    if command is not None:
        first = report.first_interval
        lines += ["", "next: run the imported range through the pipeline:", f"  {command}"]
        if first is not None and first < start_date:
            lines.append(
                f"  first set TICKERPULSE_START_DATE={first.isoformat()} (now "
                f"{start_date.isoformat()}): Airflow runs nothing before a DAG's start date"
            )
    return "\n".join(lines)
