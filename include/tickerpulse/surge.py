"""The surge score and trend: how unusual a ticker's buzz is against its own history.

Trackers alert on "a large deviation in ticker mentions", and their users ask for two things: a
baseline per ticker (GME's quiet hour is AAPL's busy one), and that one account cannot fake a
surge. So the score counts unique authors per 30-minute bucket and compares them with the same
ticker's history (sql/queries/aggregate_signals.sql computes it in Postgres; this module is the
readable reference its tests check it against):

    z = (x - median) / max(1.4826 * MAD, sqrt(max(median, 1)))

over the buckets of the same hour of the week when at least `min_seasonal_samples` of them
exist (Monday 15:00 against earlier Mondays 15:00-16:00), else over every covered bucket since
the ticker was first seen in the lookback window; buckets without a mention count as 0. Median
and MAD instead of mean and standard deviation, so one earlier spike does not hide the next;
the sqrt floor is the Poisson noise of a count, so a flat baseline of 3 authors does not make 5
authors a 'surge'. A ticker first seen less than `min_history_days` ago gets no score at all:
any burst of a new name would otherwise look infinite.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from tickerpulse.config import Settings

MAD_TO_SIGMA = 1.4826  # MAD of a normal distribution times this is its standard deviation
ALERT_Z = 3.5  # the Grafana alert's threshold (grafana/build_dashboards.py uses this value)
ALERT_MIN_AUTHORS = 5  # and the fewest unique authors a bucket needs to alert at all


@dataclass(frozen=True)
class Surge:
    z: float | None
    median: float | None
    scale: float | None
    samples: int


def sql_params(settings: Settings) -> dict[str, object]:
    """The parameters aggregate_signals.sql reads, from the settings."""
    return {
        "lookback_days": settings.surge_lookback_days,
        "min_history_days": settings.surge_min_history_days,
        "min_seasonal_samples": settings.surge_min_seasonal_samples,
        "trend_buckets": settings.surge_trend_buckets,
        "trend_ratio": settings.surge_trend_ratio,
    }


def robust_z(x: float, baseline: Sequence[float]) -> Surge:
    """The surge of `x` unique authors against `baseline` (one value per covered bucket)."""
    if not baseline:
        return Surge(None, None, None, 0)
    median = statistics.median(baseline)
    mad = statistics.median(abs(v - median) for v in baseline)
    scale = max(MAD_TO_SIGMA * mad, math.sqrt(max(median, 1.0)))
    return Surge((x - median) / scale, median, scale, len(baseline))


def trend(recent: float, prior: float, ratio: float = 1.5) -> str:
    """rising, falling or stable: unique authors of the recent window against the one before."""
    if recent + 1.0 >= ratio * (prior + 1.0) and recent - prior >= 2:
        return "rising"
    if prior + 1.0 >= ratio * (recent + 1.0) and prior - recent >= 2:
        return "falling"
    return "stable"
