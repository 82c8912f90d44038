"""The statistics of the analysis, on plain arrays: correlation with its sample, the lag with the
strongest relationship, and the sign hit rate against an always-up baseline.

Small samples are the norm (a ticker mentioned on a dozen days), so every number carries its n
and p-value, and a correlation that cannot be computed (fewer than MIN_N pairs, a constant series)
is None rather than a misleading 0 or NaN.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

MIN_N = 3
Values = Sequence[float] | np.ndarray


@dataclass(frozen=True)
class Correlation:
    n: int
    pearson: float | None
    pearson_p: float | None
    spearman: float | None
    spearman_p: float | None


@dataclass(frozen=True)
class HitRate:
    n: int
    hits: int
    hit_rate: float | None
    baseline_up_rate: float | None  # what "always up" would have scored on the same days


def _pairs(x: Values, y: Values) -> tuple[np.ndarray, np.ndarray]:
    a, b = np.asarray(x, dtype="float64"), np.asarray(y, dtype="float64")
    keep = ~(np.isnan(a) | np.isnan(b))
    return a[keep], b[keep]


def _clean(value: float) -> float | None:
    return None if value is None or math.isnan(value) else round(float(value), 10)


def correlate(x: Values, y: Values) -> Correlation:
    """Pearson and Spearman over the pairs where both are known."""
    a, b = _pairs(x, y)
    n = len(a)
    if n < MIN_N or np.ptp(a) == 0 or np.ptp(b) == 0:
        return Correlation(n, None, None, None, None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pearson = stats.pearsonr(a, b)
        spearman = stats.spearmanr(a, b)
    return Correlation(
        n,
        _clean(pearson.statistic),
        _clean(pearson.pvalue),
        _clean(spearman.statistic),
        _clean(spearman.pvalue),
    )


def lagged(x: Values, y: Values, lag: int) -> tuple[np.ndarray, np.ndarray]:
    """x[i] beside y[i + lag]: does sentiment lead the return by `lag` steps?"""
    a, b = np.asarray(x, dtype="float64"), np.asarray(y, dtype="float64")
    if lag == 0:
        return a, b
    if lag >= len(a):
        return a[:0], b[:0]
    return a[:-lag], b[lag:]


def best_lag(x: Values, y: Values, max_lag: int) -> tuple[int | None, float | None]:
    """The lag in 0..max_lag with the largest |Pearson|, and that Pearson."""
    best: tuple[int | None, float | None] = (None, None)
    for lag in range(max_lag + 1):
        r = correlate(*lagged(x, y, lag)).pearson
        if r is not None and (best[1] is None or abs(r) > abs(best[1])):
            best = (lag, r)
    return best


def hit_rate(sentiment: Values, returns: Values) -> HitRate:
    """Share of calls (a non-zero sentiment) whose sign matched the next return's sign.

    Flat returns and neutral sentiment make no call and are left out of both numbers.
    """
    s, r = _pairs(sentiment, returns)
    keep = (s != 0) & (r != 0)
    s, r = s[keep], r[keep]
    n = len(s)
    if n == 0:
        return HitRate(0, 0, None, None)
    hits = int(np.sum(np.sign(s) == np.sign(r)))
    return HitRate(n, hits, round(hits / n, 10), round(float(np.mean(r > 0)), 10))
