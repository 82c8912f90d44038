"""The analysis statistics, and the job on a warehouse with a known relationship."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import psycopg2
import pytest

from tickerpulse.analysis.job import AnalysisConfig, run_analysis
from tickerpulse.analysis.stats import best_lag, correlate, hit_rate
from tickerpulse.market_calendar import sessions_between
from tickerpulse.warehouse.migrate import migrate


def test_correlate_reports_n_and_refuses_what_it_cannot_compute() -> None:
    got = correlate([1, 2, 3, 4, np.nan], [2, 4, 6, 8, 1])
    assert got.n == 4
    assert got.pearson == pytest.approx(1.0)
    assert got.spearman == pytest.approx(1.0)
    assert got.pearson_p is not None
    assert got.pearson_p < 1e-6
    assert correlate([1, 1, 1], [1, 2, 3]).pearson is None  # constant: undefined, not 0
    assert correlate([1, 2], [1, 2]).pearson is None  # too few pairs


def test_best_lag_finds_a_lead() -> None:
    rng = np.random.default_rng(7)
    x = rng.normal(size=40)
    y = np.concatenate([[0.0, 0.0], x[:-2]])  # y follows x two steps later
    lag, r = best_lag(x, y, 5)
    assert lag == 2
    assert r == pytest.approx(1.0)


def test_hit_rate_against_always_up() -> None:
    got = hit_rate([0.5, -0.2, 0.1, 0.0, -0.4], [0.01, 0.02, 0.03, 0.05, -0.01])
    assert (got.n, got.hits) == (4, 3)  # the neutral day makes no call
    assert got.hit_rate == 0.75
    assert got.baseline_up_rate == 0.75


def test_job_fills_the_tables_grafana_reads(fresh_db: str) -> None:
    migrate(fresh_db)
    sessions = sessions_between(datetime(2024, 3, 1, tzinfo=UTC), datetime(2024, 4, 6, tzinfo=UTC))
    rng = np.random.default_rng(3)
    sentiment = rng.uniform(-1, 1, size=len(sessions))
    close = 100.0
    with psycopg2.connect(fresh_db) as conn, conn.cursor() as cur:
        for i, s in enumerate(sessions):
            cur.execute(
                "INSERT INTO tickerpulse.prices (ticker, bar_size, bar_start, bar_end, open,"
                " close, source) VALUES ('XYZ', '1d', %s, %s, %s, %s, 'test')",
                (s.open, s.close, close, close),
            )
            cur.execute(
                "INSERT INTO tickerpulse.price_coverage (ticker, bar_size, range_start,"
                " range_end, status, source) VALUES ('XYZ', '1d', %s, %s, 'ok', 'test')",
                (s.open, s.close),
            )
            # Sentiment posted 30 minutes before the close; the next close moves with it.
            cur.execute(
                "INSERT INTO tickerpulse.sentiment_30m (ticker, bucket_start, mentions,"
                " unique_authors, scored, weighted_mean) VALUES ('XYZ', %s, 3, 3, 3, %s)",
                (s.close - timedelta(minutes=30), float(sentiment[i])),
            )
            close *= 1 + 0.02 * float(sentiment[i])
    result = run_analysis(fresh_db, date(2024, 3, 29), AnalysisConfig(window_days=28))
    assert result["tickers"] == 1
    with psycopg2.connect(fresh_db) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT horizon, metric, n, pearson, best_lag FROM tickerpulse.correlations"
            " WHERE metric = 'weighted_mean' ORDER BY horizon"
        )
        rows = {r[0]: r[1:] for r in cur.fetchall()}
        cur.execute("SELECT n, hit_rate, baseline_up_rate FROM tickerpulse.hit_rates")
        hits = cur.fetchone()
    assert rows["1d"][1] >= 19
    assert rows["1d"][2] == pytest.approx(1.0, abs=1e-3)
    assert rows["1d"][3] == 0
    assert hits[1] == 1.0
    assert 0 < hits[2] < 1
    # A re-run replaces the day, it does not add to it.
    run_analysis(fresh_db, date(2024, 3, 29), AnalysisConfig(window_days=28))
    with psycopg2.connect(fresh_db) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM tickerpulse.hit_rates")
        assert cur.fetchone() == (1,)
