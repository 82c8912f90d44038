"""The analysis job: for one day, per ticker, correlations and hit rates over a trailing window,
written to `tickerpulse.correlations` and `tickerpulse.hit_rates` (what Grafana reads).

A run for a day replaces that day's rows, so the job is safe to re-run and to run twice a day
(after every 30-minute run through the Asset, and once daily).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pandas as pd

from tickerpulse.analysis.scorecard import scorecard
from tickerpulse.analysis.series import (
    Series,
    daily_series,
    intraday_series,
    trading_days_with_data,
)
from tickerpulse.analysis.stats import best_lag, correlate, hit_rate
from tickerpulse.prices.fetch import RetryPolicy
from tickerpulse.prices.planning import DAILY
from tickerpulse.prices.store import load_prints, refresh_bars
from tickerpulse.warehouse.db import connect
from tickerpulse.warehouse.queries import query

log = logging.getLogger(__name__)

METRICS = ("weighted_mean", "mentions")
DAILY_MAX_LAG = 5  # trading days
INTRADAY_MAX_LAG = 8  # 30-minute buckets


@dataclass(frozen=True)
class AnalysisConfig:
    window_days: int = 30
    min_mentions: int = 5  # tickers with fewer mentions in the window are not analysed
    fetch_daily: bool = True  # top up daily bars through the price source first


def run_analysis(
    target: Any,
    computed_for: date,
    config: AnalysisConfig | None = None,
    source: Any | None = None,
    retry: RetryPolicy | None = None,
) -> dict[str, Any]:
    """Analyse the window ending with `computed_for` (inclusive) into the warehouse `target`
    (settings or DSN). With a `source`, daily bars the window needs are fetched into the cache
    first (only what is missing); without one, the cached prices are used as they are."""
    config = config or AnalysisConfig()
    until = datetime(computed_for.year, computed_for.month, computed_for.day, tzinfo=UTC)
    until += timedelta(days=1)
    since = until - timedelta(days=config.window_days)
    # Forward returns of the last days of the window reach past it.
    horizon_end = until + timedelta(days=10)
    with connect(target) as conn, conn.cursor() as cur:
        cur.execute(
            query("analysis_buckets"),
            {"since": since, "until": until, "min_mentions": config.min_mentions},
        )
        buckets = pd.DataFrame(
            cur.fetchall(),
            columns=["ticker", "bucket_start", "mentions", "scored", "weighted_mean"],
        )
        tickers = sorted(set(buckets["ticker"])) if not buckets.empty else []
        fetched: dict[str, Any] = {}
        if source is not None and config.fetch_daily and tickers:
            fetched = refresh_bars(
                cur, source, tickers, since, min(horizon_end, _now()), DAILY, retry
            ).to_dict()
        prints = load_prints(cur, tickers, since - timedelta(days=5), horizon_end)
        cur.execute(query("analysis_delete_results"), {"computed_for": computed_for})
        correlations, hits = 0, 0
        collected = trading_days_with_data(buckets)
        per_ticker: dict[str, list[Series]] = {}
        for ticker in tickers:
            rows = buckets[buckets["ticker"] == ticker]
            intraday, daily, _hourly = prints[ticker]  # the analysis reads 30m and daily
            for record in _correlation_rows(
                ticker, rows, intraday, daily, since, until, computed_for, collected
            ):
                cur.execute(query("analysis_insert_correlation"), record)
                correlations += 1
            day = daily_series(rows, intraday, daily, since, until, collected)
            intra = intraday_series(rows, intraday, since, until)
            per_ticker[ticker] = [day] if intra is None else [day, intra]
            rate = hit_rate(day.sentiment, day.returns["1d"])
            cur.execute(
                query("analysis_insert_hit_rate"),
                {
                    "ticker": ticker,
                    "computed_for": computed_for,
                    "n": rate.n,
                    "hits": rate.hits,
                    "hit_rate": rate.hit_rate,
                    "baseline_up_rate": rate.baseline_up_rate,
                    "window_start": since.date(),
                    "window_end": computed_for,
                },
            )
            hits += 1
        cards = scorecard(per_ticker)
        cur.execute(query("scorecard_delete"), {"computed_for": computed_for})
        for card in cards:
            cur.execute(query("scorecard_insert"), card.as_params(computed_for, since.date()))
    log.info(
        "analysis %s: %d tickers, %d correlation rows, %d hit rates",
        computed_for,
        len(tickers),
        correlations,
        hits,
    )
    return {
        "computed_for": computed_for.isoformat(),
        "tickers": len(tickers),
        "correlations": correlations,
        "hit_rates": hits,
        "scorecard": len(cards),
        "fetched": fetched,
    }


def _correlation_rows(
    ticker: str,
    rows: pd.DataFrame,
    intraday: Any,
    daily: Any,
    since: datetime,
    until: datetime,
    computed_for: date,
    collected: set[date],
) -> list[dict[str, Any]]:
    out = []
    day = daily_series(rows, intraday, daily, since, until, collected)
    series = [("1d", day, DAILY_MAX_LAG)]
    intra = intraday_series(rows, intraday, since, until)
    if intra is not None:
        series.append(("30m", intra, INTRADAY_MAX_LAG))
    for bar_size, one, max_lag in series:
        for horizon, returns in one.returns.items():
            for metric in METRICS:
                x = one.sentiment if metric == "weighted_mean" else one.mentions
                stats = correlate(x, returns)
                lag, lag_r = best_lag(x, returns, max_lag)
                out.append(
                    {
                        "ticker": ticker,
                        "horizon": horizon,
                        "metric": metric,
                        "n": stats.n,
                        "pearson": stats.pearson,
                        "pearson_p": stats.pearson_p,
                        "spearman": stats.spearman,
                        "spearman_p": stats.spearman_p,
                        "best_lag": lag,
                        "lag_pearson": lag_r,
                        "bar_size": bar_size,
                        "window_start": since.date(),
                        "window_end": computed_for,
                        "computed_for": computed_for,
                    }
                )
    return out


def _now() -> datetime:
    return datetime.now(UTC)
