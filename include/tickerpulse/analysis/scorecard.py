"""The signal scorecard: is bucket sentiment worth anything as a signal, and can we tell?

Published checks of Reddit sentiment report an information coefficient near 0.02 with a t-stat
near zero; a tracker that shows its own numbers, with their significance in words, is more
credible than one that shows a chart. Per horizon (+30 min and +1 h on 30-minute bars, +1 and +5
trading days on daily closes, the series of tickerpulse.analysis.series):

* per ticker: the rank IC, the Spearman correlation of the ticker's sentiment with its forward
  return over time, and its Newey-West t-statistic: the slope of the standardised return ranks on
  the standardised sentiment ranks (which is the Spearman correlation) with a HAC variance, since
  forward returns over overlapping horizons (5 days sampled daily) are autocorrelated;
* across tickers: the mean of the per-period cross-sectional rank ICs (all tickers with both a
  sentiment and a return that day or bucket), the usual quant IC, with the Newey-West t of that
  mean;
* the sign hit rate against an always-up baseline on the same calls, with a one-sided binomial
  p-value of beating it.

Each number carries its n. Verdicts are words: "significant" at |t| >= 1.96 (5%, two-sided),
"not significant" below, "too few observations" under MIN_OBSERVATIONS independent periods (n
divided by the overlap of the horizon's returns).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
from scipy import stats

from tickerpulse.analysis.series import Series
from tickerpulse.warehouse.db import connect
from tickerpulse.warehouse.queries import query

MIN_OBSERVATIONS = 10
MIN_CROSS_SECTION = 3  # tickers needed in one period for a cross-sectional rank IC
T_CRITICAL = 1.96
P_CRITICAL = 0.05
HORIZON_STEPS = {"30m": 1, "1h": 2, "1d": 1, "5d": 5}  # overlap of one forward return, in steps


@dataclass(frozen=True)
class ScoreRow:
    scope: str  # ticker | all
    ticker: str  # "*" for all
    horizon: str
    n: int
    pairs: int
    rank_ic: float | None
    ic_t_nw: float | None
    nw_lags: int | None
    ic_verdict: str
    hit_n: int
    hit_rate: float | None
    always_up_rate: float | None
    hit_p: float | None
    hit_verdict: str

    def as_params(self, computed_for: date, window_start: date) -> dict[str, Any]:
        return {
            **self.__dict__,
            "computed_for": computed_for,
            "window_start": window_start,
            "window_end": computed_for,
        }


def nw_lags(n: int, horizon_steps: int = 1) -> int:
    """Newey and West's rule of thumb, and at least the overlap of the forward returns."""
    rule = int(math.floor(4 * (n / 100.0) ** (2.0 / 9.0))) if n > 0 else 0
    return max(rule, horizon_steps - 1)


def _long_run_variance(u: np.ndarray, lags: int) -> float:
    """Bartlett-weighted sum of autocovariances of a mean-zero series (times n)."""
    total = float(u @ u)
    for lag in range(1, min(lags, len(u) - 1) + 1):
        weight = 1.0 - lag / (lags + 1.0)
        total += 2.0 * weight * float(u[lag:] @ u[:-lag])
    return total


def nw_slope(
    x: Sequence[float] | np.ndarray, y: Sequence[float] | np.ndarray, lags: int
) -> tuple[float, float | None]:
    """OLS slope of y on x (with an intercept) and its Newey-West t-statistic."""
    a, b = np.asarray(x, dtype="float64"), np.asarray(y, dtype="float64")
    dx = a - a.mean()
    sxx = float(dx @ dx)
    if sxx == 0:
        return 0.0, None
    beta = float(dx @ (b - b.mean())) / sxx
    resid = (b - b.mean()) - beta * dx
    variance = _long_run_variance(dx * resid, lags) / (sxx * sxx)
    if not variance > 0:
        return beta, None
    return beta, beta / math.sqrt(variance)


def nw_mean_t(values: Sequence[float] | np.ndarray, lags: int) -> float | None:
    """The Newey-West t-statistic of a series' mean."""
    v = np.asarray(values, dtype="float64")
    if len(v) < 2:
        return None
    variance = _long_run_variance(v - v.mean(), lags) / (len(v) * len(v))
    return float(v.mean()) / math.sqrt(variance) if variance > 0 else None


def _standard_ranks(values: np.ndarray) -> np.ndarray:
    ranks = stats.rankdata(values)
    spread = ranks.std()
    return (ranks - ranks.mean()) / spread if spread > 0 else ranks * 0.0


def rank_ic(
    x: np.ndarray, y: np.ndarray, horizon_steps: int
) -> tuple[float | None, float | None, int]:
    """(Spearman rho, its Newey-West t, lags) over pairs where both are known."""
    keep = ~(np.isnan(x) | np.isnan(y))
    a, b = x[keep], y[keep]
    lags = nw_lags(len(a), horizon_steps)
    if len(a) < 3 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return None, None, lags
    rho, t = nw_slope(_standard_ranks(a), _standard_ranks(b), lags)
    return rho, t, lags


@dataclass(frozen=True)
class Hits:
    n: int
    hit_rate: float | None
    always_up: float | None
    p: float | None


def hits(sentiment: np.ndarray, returns: np.ndarray) -> Hits:
    """Sign hit rate of the calls (non-zero sentiment, non-zero return) against always-up."""
    keep = ~(np.isnan(sentiment) | np.isnan(returns)) & (sentiment != 0) & (returns != 0)
    s, r = sentiment[keep], returns[keep]
    n = len(s)
    if n == 0:
        return Hits(0, None, None, None)
    won = int(np.sum(np.sign(s) == np.sign(r)))
    up = float(np.mean(r > 0))
    if up >= 1.0:
        p = 1.0  # every move was up: nothing beats always-up
    elif up <= 0.0:
        p = 0.0 if won else 1.0
    else:
        p = float(stats.binomtest(won, n, up, alternative="greater").pvalue)
    return Hits(n, won / n, up, p)


def ic_verdict(n: int, t: float | None, horizon_steps: int = 1) -> str:
    """Overlapping returns carry less information than their count: twelve daily 5-day returns
    are about two independent ones, so the minimum applies to n / horizon_steps."""
    if n // max(horizon_steps, 1) < MIN_OBSERVATIONS or t is None:
        return "too few observations"
    return "significant" if abs(t) >= T_CRITICAL else "not significant"


def hit_verdict(h: Hits) -> str:
    if h.n < MIN_OBSERVATIONS or h.p is None:
        return "too few observations"
    if h.p < P_CRITICAL:
        return "beats always-up (significant)"
    return "not significant"


def _round(value: float | None, digits: int = 6) -> float | None:
    return None if value is None or not math.isfinite(value) else round(value, digits)


def _row(scope: str, ticker: str, horizon: str, n: int, pairs: int, ic: float | None,
         t: float | None, lags: int | None, h: Hits) -> ScoreRow:  # fmt: skip
    steps = HORIZON_STEPS.get(horizon, 1)
    return ScoreRow(
        scope, ticker, horizon, n, pairs, _round(ic), _round(t, 4), lags,
        ic_verdict(n, t, steps),
        h.n, _round(h.hit_rate), _round(h.always_up), _round(h.p), hit_verdict(h),
    )  # fmt: skip


def scorecard(series: Mapping[str, Iterable[Series]]) -> list[ScoreRow]:
    """Rows per ticker and horizon, then across tickers, from each ticker's daily and intraday
    series (tickerpulse.analysis.series)."""
    out: list[ScoreRow] = []
    # horizon -> period -> [(sentiment, return)] across tickers
    panel: dict[str, dict[object, list[tuple[float, float]]]] = {}
    for ticker in sorted(series):
        for one in series[ticker]:
            for horizon, returns in one.returns.items():
                x, y = one.sentiment, returns
                ic, t, lags = rank_ic(x, y, HORIZON_STEPS.get(horizon, 1))
                pairs = int(np.sum(~(np.isnan(x) | np.isnan(y))))
                out.append(_row("ticker", ticker, horizon, pairs, pairs, ic, t, lags, hits(x, y)))
                cell = panel.setdefault(horizon, {})
                for step, a, b in zip(one.steps, x, y, strict=True):
                    if not (math.isnan(a) or math.isnan(b)):
                        cell.setdefault(step, []).append((float(a), float(b)))
    for horizon in sorted(panel):
        ics = []
        xs: list[float] = []
        ys: list[float] = []
        for step in sorted(panel[horizon], key=str):
            cross = panel[horizon][step]
            xs.extend(a for a, _ in cross)
            ys.extend(b for _, b in cross)
            a = np.array([p[0] for p in cross])
            b = np.array([p[1] for p in cross])
            if len(cross) >= MIN_CROSS_SECTION and np.ptp(a) > 0 and np.ptp(b) > 0:
                ics.append(float(stats.spearmanr(a, b).statistic))
        lags = nw_lags(len(ics), HORIZON_STEPS.get(horizon, 1))
        mean = float(np.mean(ics)) if ics else None
        t = nw_mean_t(ics, lags) if len(ics) >= 2 else None
        h = hits(np.array(xs), np.array(ys))
        out.append(_row("all", "*", horizon, len(ics), len(xs), mean, t, lags, h))
    return out


def render(rows: Sequence[Any]) -> str:
    """The scorecard as a text table, as `tickerpulse report` prints it. `rows` are mappings or
    tuples in the order of sql/queries/scorecard_latest.sql."""
    lines = [
        "signal scorecard: does sentiment rank forward returns? (rank IC, Newey-West t)",
        f"{'ticker':7}{'horizon':8}{'n':>5}{'rank IC':>9}{'t (NW)':>8}  {'verdict':22}"
        f"{'hit rate':>9}{'always-up':>10}  verdict",
    ]
    for row in rows:
        (ticker, horizon, n, ic, t, verdict, hit_n, hit_rate, up, hit_v) = row
        lines.append(
            f"{ticker:7}{horizon:8}{n:>5}{_fmt(ic, '+.3f'):>9}{_fmt(t, '+.2f'):>8}  "
            f"{verdict:22}{_fmt(hit_rate, '.0%'):>9}{_fmt(up, '.0%'):>10}  {hit_v} (n={hit_n})"
        )
    return "\n".join(lines)


def _fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def latest(target: Any, on_or_before: date, limit: int = 40) -> list[tuple[Any, ...]]:
    """The latest scorecard computed on or before a day (settings or DSN), for `render`."""
    with connect(target) as conn, conn.cursor() as cur:
        cur.execute(query("scorecard_latest"), {"on_or_before": on_or_before, "limit": limit})
        return list(cur.fetchall())
