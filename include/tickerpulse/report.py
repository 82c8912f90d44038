"""PNG charts of sentiment against price for the most mentioned tickers, straight from the
warehouse: the result for someone without Grafana (`make demo`, `tickerpulse report`).

Reads the same rollups as the Grafana ticker dashboard, with the same choice of 30-minute or
daily points by range, so the pictures and the dashboards agree. Matplotlib's object API with the
Agg canvas (no pyplot): no display, no global figure state, safe inside an Airflow worker.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tickerpulse.config import Settings
from tickerpulse.warehouse.db import connect
from tickerpulse.warehouse.queries import query

DAILY_AFTER = timedelta(days=7)  # the dashboards' switch from 30-minute to daily points
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class TickerSeries:
    ticker: str
    mentions: int
    sentiment: float | None
    tier: str
    times: list[datetime]
    weighted: list[float]
    raw: list[float]
    counts: list[int]
    close: list[float]


def _num(value: object) -> float:
    return math.nan if value is None else float(value)  # type: ignore[arg-type]


def data_range(settings: Settings | str) -> tuple[datetime, datetime] | None:
    """(first bucket, end of the last bucket) in the rollup, or None when it is empty."""
    with connect(settings) as conn, conn.cursor() as cur:
        cur.execute(query("report_data_range"))
        first, last = cur.fetchone()
    return None if first is None else (first, last)


def load_series(
    settings: Settings | str, start: datetime, end: datetime, top: int
) -> list[TickerSeries]:
    """The `top` most mentioned tickers in [start, end) with their series, most mentioned first."""
    params = {"start": start, "end": end, "top": top}
    out: list[TickerSeries] = []
    with connect(settings) as conn, conn.cursor() as cur:
        cur.execute(query("report_top_tickers"), params)
        leaders = cur.fetchall()
        for ticker, mentions, sentiment, tier in leaders:
            cur.execute(query("report_ticker_series"), {**params, "ticker": ticker})
            rows = cur.fetchall()
            out.append(
                TickerSeries(
                    ticker=ticker,
                    mentions=int(mentions),
                    sentiment=None if sentiment is None else float(sentiment),
                    tier=tier,
                    times=[r[0] for r in rows],
                    weighted=[_num(r[1]) for r in rows],
                    raw=[_num(r[2]) for r in rows],
                    counts=[int(r[3]) for r in rows],
                    close=[_num(r[4]) for r in rows],
                )
            )
    return out


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%MZ")


def render(series: TickerSeries, start: datetime, end: datetime, path: Path) -> Path:
    """One chart: sentiment (left axis) and close (right axis) above mention bars."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
    from matplotlib.figure import Figure

    daily = end - start > DAILY_AFTER
    fig = Figure(figsize=(11, 6.5), dpi=110, layout="constrained")
    FigureCanvasAgg(fig)
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=[3, 1])
    sentiment = "n/a" if series.sentiment is None else f"{series.sentiment:+.2f}"
    fig.suptitle(
        f"{series.ticker}: Reddit sentiment and price, "
        f"{start.astimezone(UTC):%Y-%m-%d %H:%M} to {end.astimezone(UTC):%Y-%m-%d %H:%M} UTC\n"
        f"{series.mentions} mentions, sentiment {sentiment} ({series.tier.replace('_', ' ')}), "
        f"one point per {'UTC day' if daily else '30 minutes'}",
        fontsize=11,
    )
    # Daily points sit mid-day, over their day's bar; 30-minute ones mid-bucket.
    mid = timedelta(hours=12) if daily else timedelta(minutes=15)
    centres = [t + mid for t in series.times]
    top.axhline(0, color="0.6", linewidth=0.8)
    top.plot(
        centres,
        series.weighted,
        color="tab:blue",
        linewidth=2,
        marker="o",
        markersize=3,
        label="weighted sentiment",
    )
    top.plot(
        centres, series.raw, color="tab:purple", linewidth=1.2, linestyle="--", label="raw mean"
    )
    top.set_ylim(-1.05, 1.05)
    top.set_ylabel("sentiment (-1 bearish .. +1 bullish)")
    top.grid(True, alpha=0.3)
    price = top.twinx()
    priced = [(t, c) for t, c in zip(centres, series.close, strict=True) if not math.isnan(c)]
    if priced:
        price.plot(
            [t for t, _ in priced],
            [c for _, c in priced],
            color="tab:green",
            linewidth=1.6,
            label="close (USD)",
        )
    price.set_ylabel("close (USD)", color="tab:green")
    price.tick_params(axis="y", colors="tab:green")
    handles = top.get_legend_handles_labels()
    extra = price.get_legend_handles_labels()
    top.legend(handles[0] + extra[0], handles[1] + extra[1], loc="upper left", fontsize=9)
    width = 1.0 if daily else 1 / 48  # in days, matplotlib's date unit
    bottom.bar(series.times, series.counts, width=width * 0.9, align="edge", color="tab:gray")
    bottom.set_ylabel("mentions")
    bottom.grid(True, axis="y", alpha=0.3)
    locator = AutoDateLocator()
    bottom.xaxis.set_major_locator(locator)
    bottom.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    bottom.set_xlim(start, end)
    bottom.set_xlabel("UTC")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    return path


def write_report(
    settings: Settings | str, start: datetime, end: datetime, out_dir: Path, top: int = 5
) -> list[Path]:
    """Write one PNG per top ticker in [start, end) to out_dir; return their paths, most
    mentioned first. An empty range writes nothing and returns []."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("start and end must be timezone-aware")
    if end <= start:
        raise ValueError(f"end {end.isoformat()} is not after start {start.isoformat()}")
    if top < 1:
        raise ValueError("top must be at least 1")
    paths = []
    for rank, series in enumerate(load_series(settings, start, end, top), start=1):
        name = f"{rank:02d}_{_SAFE_NAME.sub('_', series.ticker)}_{_stamp(start)}_{_stamp(end)}.png"
        paths.append(render(series, start, end, Path(out_dir) / name))
    return paths
