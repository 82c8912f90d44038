"""The signal scorecard: rank IC with Newey-West t-stats, hit rate against always-up, verdicts in
words; on series whose answer is known, and through the analysis job into the warehouse."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

import numpy as np
import psycopg2
import pytest
from scipy import stats

from tickerpulse.analysis.job import AnalysisConfig, run_analysis
from tickerpulse.analysis.scorecard import (
    hits,
    nw_lags,
    nw_mean_t,
    nw_slope,
    rank_ic,
    render,
    scorecard,
)
from tickerpulse.analysis.series import Series
from tickerpulse.market_calendar import sessions_between
from tickerpulse.warehouse.migrate import migrate


def test_newey_west_with_no_lags_is_whites_heteroskedasticity_robust_t() -> None:
    x = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    y = np.array([1.2, 1.9, 3.4, 3.8, 5.5, 5.9])
    beta, t = nw_slope(x, y, lags=0)
    slope = stats.linregress(x, y).slope
    dx = x - x.mean()
    resid = (y - y.mean()) - slope * dx
    hc0 = math.sqrt(float(np.sum(dx**2 * resid**2))) / float(np.sum(dx**2))
    assert beta == pytest.approx(slope)
    assert t == pytest.approx(slope / hc0)


def test_the_mean_t_with_no_lags_is_the_plain_t_of_a_mean() -> None:
    v = np.array([0.02, -0.01, 0.05, 0.03, 0.0, 0.04])
    assert nw_mean_t(v, 0) == pytest.approx(v.mean() / (v.std() / math.sqrt(len(v))))


def test_lags_cover_the_overlap_of_the_forward_returns() -> None:
    assert nw_lags(20, 5) == 4  # five-day returns sampled daily overlap four days
    assert nw_lags(100, 1) == 4  # the Newey-West rule of thumb
    assert nw_lags(20, 1) == 2


def test_a_real_signal_is_significant_and_noise_is_labelled_not_significant() -> None:
    rng = np.random.default_rng(11)
    x = rng.normal(size=80)
    ic, t, _ = rank_ic(x, x + rng.normal(scale=0.5, size=80), 1)
    assert ic is not None
    assert ic > 0.8
    assert t is not None
    assert t > 5
    ic, t, _ = rank_ic(x, rng.normal(size=80), 1)
    assert ic is not None
    assert abs(ic) < 0.2
    assert t is not None
    assert abs(t) < 1.96


def test_overlapping_returns_widen_the_newey_west_error() -> None:
    """Five-day returns of daily noise share four days: the naive t overstates, NW does not."""
    rng = np.random.default_rng(5)
    daily = rng.normal(size=300)
    five_day = np.convolve(daily, np.ones(5), mode="valid")[:-1]
    x = np.cumsum(rng.normal(size=len(five_day)))  # a slow, persistent sentiment series
    _, naive = nw_slope(x, five_day, lags=0)
    _, robust = nw_slope(x, five_day, lags=nw_lags(len(x), 5))
    assert naive is not None
    assert robust is not None
    assert abs(robust) < abs(naive)


def test_hit_rate_is_tested_against_always_up() -> None:
    up = np.array([0.01] * 14 + [-0.01] * 6)  # 70% up
    assert hits(np.ones(20), up).hit_rate == pytest.approx(0.7)  # always bullish = always-up
    assert hits(np.ones(20), up).p == pytest.approx(
        stats.binomtest(14, 20, 0.7, alternative="greater").pvalue
    )
    perfect = hits(np.sign(up), up)
    assert perfect.hit_rate == 1.0
    assert perfect.p is not None
    assert perfect.p < 0.01
    assert hits(np.ones(12), np.full(12, 0.01)).p == 1.0  # nothing beats a market that only rose


def _series(days: list[date], sentiment: np.ndarray, ret: np.ndarray) -> Series:
    return Series(list(days), sentiment, np.ones(len(days)), {"1d": ret})


def test_scorecard_rows_per_ticker_and_across_with_verdicts() -> None:
    rng = np.random.default_rng(2)
    days = [date(2024, 1, 1) + timedelta(days=i) for i in range(60)]
    per_ticker = {}
    for name in ("AAA", "BBB", "CCC", "DDD"):
        s = rng.normal(size=60)
        per_ticker[name] = [_series(days, s, 0.01 * s + rng.normal(scale=0.004, size=60))]
    per_ticker["NEW"] = [_series(days[:5], rng.normal(size=5), rng.normal(size=5))]
    rows = {(r.ticker, r.horizon): r for r in scorecard(per_ticker)}
    assert rows[("AAA", "1d")].ic_verdict == "significant"
    assert rows[("AAA", "1d")].n == 60
    assert rows[("NEW", "1d")].ic_verdict == "too few observations"
    across = rows[("*", "1d")]
    assert across.scope == "all"
    assert across.n == 60  # one cross-sectional IC per day
    assert across.pairs == 4 * 60 + 5
    assert across.rank_ic is not None
    assert across.rank_ic > 0.5
    assert across.ic_verdict == "significant"
    noise = {n: [_series(days, rng.normal(size=60), rng.normal(size=60))] for n in ("A", "B", "C")}
    quiet = {(r.ticker, r.horizon): r for r in scorecard(noise)}[("*", "1d")]
    assert quiet.ic_verdict == "not significant"
    assert "not significant" in render(
        [
            (
                "*",
                "1d",
                quiet.n,
                quiet.rank_ic,
                quiet.ic_t_nw,
                quiet.ic_verdict,
                quiet.hit_n,
                quiet.hit_rate,
                quiet.always_up_rate,
                quiet.hit_verdict,
            )
        ]  # fmt: skip
    )


def test_the_analysis_job_writes_the_scorecard(fresh_db: str) -> None:
    """Three tickers whose next close moves with today's sentiment: the job's scorecard rows."""
    migrate(fresh_db)
    sessions = sessions_between(datetime(2024, 3, 1, tzinfo=UTC), datetime(2024, 4, 6, tzinfo=UTC))
    rng = np.random.default_rng(3)
    with psycopg2.connect(fresh_db) as conn, conn.cursor() as cur:
        for ticker in ("XYZ", "ABC", "QRS"):
            close = 100.0
            for s in sessions:
                mood = float(rng.uniform(-1, 1))
                cur.execute(
                    "INSERT INTO tickerpulse.prices (ticker, bar_size, bar_start, bar_end, open,"
                    " close, source) VALUES (%s, '1d', %s, %s, %s, %s, 'test')",
                    (ticker, s.open, s.close, close, close),
                )
                cur.execute(
                    "INSERT INTO tickerpulse.price_coverage (ticker, bar_size, range_start,"
                    " range_end, status, source) VALUES (%s, '1d', %s, %s, 'ok', 'test')",
                    (ticker, s.open, s.close),
                )
                cur.execute(
                    "INSERT INTO tickerpulse.sentiment_30m (ticker, bucket_start, mentions,"
                    " unique_authors, scored, weighted_mean) VALUES (%s, %s, 3, 3, 3, %s)",
                    (ticker, s.close - timedelta(minutes=30), mood),
                )
                close *= 1 + 0.02 * mood + float(rng.normal(scale=0.002))
    result = run_analysis(fresh_db, date(2024, 3, 29), AnalysisConfig(window_days=28))
    assert result["scorecard"] == 8  # 3 tickers and the cross-section, 1d and 5d
    with psycopg2.connect(fresh_db) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT ticker, horizon, n, rank_ic, ic_verdict, hit_rate, always_up_rate"
            " FROM tickerpulse.signal_scorecard WHERE computed_for = '2024-03-29'"
        )
        got = {(r[0], r[1]): r[2:] for r in cur.fetchall()}
    n, ic, verdict, hit_rate, up = got[("*", "1d")]
    assert n >= 19
    assert ic > 0.8
    assert verdict == "significant"
    assert hit_rate > up
    assert got[("XYZ", "1d")][2] == "significant"
    assert got[("XYZ", "5d")][2] == "too few observations"  # ~20 overlapping 5-day returns
