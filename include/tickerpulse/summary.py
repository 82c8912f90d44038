"""A summary a person can read, straight from the warehouse, for a window of intervals.

Everything printed is read back from Postgres (not from the run's memory), so it shows what a
Grafana user would see, and the reconciliation line proves that no post went missing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tickerpulse.config import Settings
from tickerpulse.warehouse.db import connect
from tickerpulse.warehouse.queries import query


def _table(headers: list[str], rows: list[tuple[Any, ...]]) -> str:
    cells = [[("" if v is None else str(v)) for v in row] for row in rows]
    widths = [max([len(h), *(len(r[i]) for r in cells)]) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in cells]
    return "\n".join(out)


def coverage_line(rows: list[tuple[Any, ...]]) -> str:
    """One line on how completely Reddit was read (interval_coverage, per source): rows of
    (source, intervals, complete, lowest coverage, observed, estimated missed)."""
    if not rows:
        return "Reddit coverage: not recorded for these intervals"
    pieces = []
    for source, intervals, complete, lowest, observed, missed in rows:
        piece = f"{complete}/{intervals} interval-subreddits complete ({source})"
        if complete < intervals:
            piece += f", lowest {100 * float(lowest):.1f}%, about {missed} of {observed + missed}"
            piece += " items missed"
        pieces.append(piece)
    return "Reddit coverage: " + "; ".join(pieces)


def build_summary(settings: Settings, start: datetime, end: datetime, top: int = 15) -> str:
    params = {"start": start, "end": end, "top": top}
    with connect(settings) as conn, conn.cursor() as cur:
        cur.execute(query("summary_runs"), params)
        runs = cur.fetchall()
        cur.execute(query("summary_tickers"), params)
        tickers = cur.fetchall()
        cur.execute(query("summary_reasons"), params)
        reasons = cur.fetchall()
        cur.execute(query("coverage_summary"), params)
        coverage = cur.fetchall()
    parts = [f"Ticker Pulse — {start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC", ""]
    parts.append(f"Top {top} tickers by mentions")
    parts.append(_table(["ticker", "mentions", "sentiment", "raw", "tier", "price Δ%"], tickers))
    parts.append("")
    parts.append("Posts per interval (extracted = loaded + quarantined + duplicates + bots)")
    parts.append(
        _table(
            ["interval", "extracted", "loaded", "quarantined", "duplicates", "bots", "ok"],
            [
                (
                    f"{r[0]:%m-%d %H:%M}",
                    r[1],
                    r[2],
                    r[3],
                    r[4],
                    r[5],
                    "yes" if r[1] == r[2] + r[3] + r[4] + r[5] else "NO",
                )
                for r in runs
            ],
        )
    )
    totals = [sum(r[i] for r in runs) for i in range(1, 6)]
    parts.append(
        f"total: extracted {totals[0]} = loaded {totals[1]} + quarantined {totals[2]}"
        f" + duplicates {totals[3]} + bots {totals[4]}"
        f" ({'adds up' if totals[0] == sum(totals[1:]) else 'DOES NOT ADD UP'})"
    )
    parts.append(coverage_line(coverage))
    parts.append("")
    parts.append("Quarantined and dropped, by reason")
    parts.append(_table(["outcome", "reason", "rows"], reasons))
    docs = [r[10] for r in runs if r[10]]
    parts.append("")
    parts.append("Data-quality reports (Great Expectations Data Docs):")
    parts.extend(f"  {d}" for d in docs[-3:])
    if len(docs) > 3:
        parts.append(f"  … and {len(docs) - 3} more under {settings.docs_dir}")
    return "\n".join(parts)
