"""Numbers that cannot crash (issue 14, sql/030_safe_numbers.sql).

PostgreSQL raises `value out of range: underflow` where Python returns 0, so a formula that is fine
in the Python reference can still fail the aggregate task. These tests drive the SQL
(`ticker_window_stats` through the 30-minute, 24-hour and daily rollups and the surge signals)
and the Python reference with extreme inputs against a real Postgres and check that both agree.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import psycopg2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import new_database
from tickerpulse.aggregation import AggregationConfig, Mention, aggregate, confidence_factor
from tickerpulse.config import load_settings
from tickerpulse.intervals import Interval
from tickerpulse.stages import aggregate as aggregate_stage
from tickerpulse.stages.aggregate import rebuild_bucket
from tickerpulse.stages.context import RunParams, StageContext
from tickerpulse.warehouse.migrate import migrate

END = datetime(2024, 3, 5, 15, 0, tzinfo=UTC)
START = END - timedelta(minutes=30)
CFG = AggregationConfig(source_weights={"wallstreetbets": 1.0, "stocks": 0.8})

TINY = [0.0, 5.7e-17, -5.7e-17, 1e-300, -1e-300, 5e-324, 1e-12, -1e-12, 1.0, -1.0]
SCORES = st.one_of(st.sampled_from(TINY), st.floats(-1, 1, allow_nan=False))
AMBIGUITY = st.one_of(st.sampled_from([1.0, 1e-300, 5e-324, 0.1]), st.floats(1e-300, 1.0))
UPVOTES = st.one_of(st.sampled_from([0, -5, 1_000_000, 1]), st.integers(-100, 1_000_000))
# from inside the bucket to ten years before its end (decay far below exp's range)
AGE_SECONDS = st.one_of(
    st.sampled_from([1, 1799, 10 * 365 * 86400]), st.integers(1, 10 * 365 * 86400)
)


@pytest.fixture(scope="module")
def warehouse(pg_admin_dsn: str) -> Iterator[str]:
    """One migrated warehouse for the module; each example empties the tables it writes."""
    with new_database(pg_admin_dsn, prefix="tp_test_safe") as dsn:
        migrate(dsn)
        yield dsn


def _reset(cur: object) -> None:
    cur.execute(  # type: ignore[attr-defined]
        "TRUNCATE tickerpulse.post_sentiment, tickerpulse.posts, tickerpulse.sentiment_30m,"
        " tickerpulse.sentiment_24h, tickerpulse.sentiment_1d, tickerpulse.ticker_subreddit_30m"
    )


def _insert(cur: object, bucket: datetime, rows: list[Mention], ticker: str = "GME") -> None:
    """The posts and their (post, ticker) rows, all in the 30-minute partition `bucket`."""
    cur.executemany(  # type: ignore[attr-defined]
        "INSERT INTO tickerpulse.posts (post_id, kind, subreddit, author_hash, created_utc,"
        " score, content_hash, simhash, interval_start) VALUES (%s,'post',%s,%s,%s,%s,'h',0,%s)",
        [(m.post_id, m.subreddit, m.author_hash, m.created_utc, m.upvotes, bucket) for m in rows],
    )
    cur.executemany(  # type: ignore[attr-defined]
        "INSERT INTO tickerpulse.post_sentiment (post_id, ticker, scorer_version, status, score,"
        " scorer, mention_kind, mention_weight, interval_start)"
        " VALUES (%s,%s,'v1',%s,%s,'offline','symbol',%s,%s)",
        [(m.post_id, ticker, m.status, m.score, m.mention_weight, bucket) for m in rows],
    )


def _window_stats(cur: object, start: datetime, end: datetime, cfg: AggregationConfig) -> dict:
    p = cfg.sql_params()
    cur.execute(  # type: ignore[attr-defined]
        "SELECT ticker, mentions, unique_authors, scored, raw_mean, weighted_mean, total_weight,"
        " consensus, confidence, tier FROM tickerpulse.ticker_window_stats(%s, %s, %s,"
        " %s::text[], %s::double precision[], %s, %s, %s, %s)",
        (start, end, p["decay"], p["source_names"], p["source_weights"],
         p["default_source_weight"], p["post_count_k"], p["post_count_max_bonus"],
         p["confidence_scale"]),
    )  # fmt: skip
    return {r[0]: r[1:] for r in cur.fetchall()}  # type: ignore[attr-defined]


def _assert_agrees(got: tuple, want: object) -> None:
    w = want  # a TickerAggregate
    assert got[:3] == (w.mentions, w.unique_authors, w.scored)  # type: ignore[attr-defined]
    wanted = (w.raw_mean, w.weighted_mean, w.total_weight, w.consensus, w.confidence)  # type: ignore[attr-defined]
    for value, expected in zip(got[3:8], wanted, strict=True):
        if expected is None:
            assert value is None
        else:
            assert value is not None
            assert math.isfinite(value)
            assert value == pytest.approx(expected, rel=1e-9, abs=2e-6)
    assert got[8] == w.tier  # type: ignore[attr-defined]


def _mentions(draw: st.DrawFn, prefix: str, bucket_end: datetime) -> list[Mention]:
    n = draw(st.integers(1, 12))
    return [
        Mention(
            post_id=f"{prefix}{i}",
            subreddit=draw(st.sampled_from(["wallstreetbets", "stocks", "other"])),
            created_utc=bucket_end - timedelta(seconds=draw(AGE_SECONDS)),
            upvotes=draw(UPVOTES),
            mention_weight=draw(AMBIGUITY),
            status=draw(st.sampled_from(["scored", "scored", "unscored"])),
            score=None,
            author_hash=f"a{draw(st.integers(0, 4))}",
        )
        for i in range(n)
    ]


@st.composite
def extreme_rows(draw: st.DrawFn) -> tuple[AggregationConfig, list[Mention], list[Mention]]:
    """A config at the edges of its range, this bucket's mentions and an earlier bucket's."""
    cfg = AggregationConfig(
        decay_lambda=draw(st.sampled_from([0.0, 0.1, 5.0, 1e6])),
        source_weights={"wallstreetbets": 1.0, "stocks": draw(st.sampled_from([0.8, 1e-6, 50.0]))},
        default_source_weight=draw(st.sampled_from([1.0, 1e-9])),
        post_count_k=draw(st.sampled_from([0.0, 0.1, 3.0])),
        post_count_max_bonus=draw(st.sampled_from([0.0, 0.5, 10.0])),
        confidence_scale=draw(st.sampled_from([3.0, 1e-9, 1e9])),
    )
    now = _mentions(draw, "t3_now", END)
    before = _mentions(draw, "t3_before", START)
    scored = [
        replace(m, score=draw(SCORES) if m.status == "scored" else None) for m in now + before
    ]
    return cfg, scored[: len(now)], scored[len(now) :]


@pytest.mark.slow
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(extreme_rows())
def test_window_stats_and_rollups_never_raise_and_agree_with_python(
    warehouse: str, case: tuple[AggregationConfig, list[Mention], list[Mention]]
) -> None:
    cfg, now, before = case
    earlier_bucket = START - timedelta(hours=6)
    with psycopg2.connect(warehouse) as conn, conn.cursor() as cur:
        _reset(cur)
        _insert(cur, START, now)
        _insert(cur, earlier_bucket, before)
    # the real rollups: 30 minutes, 24 hours, the day and the surge signals, in one call
    rebuild_bucket(warehouse, START, END, cfg)
    with psycopg2.connect(warehouse) as conn, conn.cursor() as cur:
        direct = _window_stats(cur, START, END, cfg)
        cur.execute(
            "SELECT ticker, mentions, unique_authors, scored, raw_mean, weighted_mean,"
            " total_weight, consensus, confidence, tier FROM tickerpulse.sentiment_30m"
        )
        bucket = {r[0]: r[1:] for r in cur.fetchall()}
        cur.execute(
            "SELECT ticker, mentions, unique_authors, scored, raw_mean, weighted_mean,"
            " total_weight, consensus, confidence, tier FROM tickerpulse.sentiment_24h"
        )
        rolling = {r[0]: r[1:] for r in cur.fetchall()}
        cur.execute("SELECT mentions, weighted_mean, confidence FROM tickerpulse.sentiment_1d")
        daily = cur.fetchall()
        cur.execute(
            "SELECT weight_sum, weighted_score_sum, score_sq_sum"
            " FROM tickerpulse.ticker_subreddit_30m"
        )
        signals = cur.fetchall()
    assert direct == bucket
    _assert_agrees(bucket["GME"], aggregate(now, END, cfg))
    _assert_agrees(rolling["GME"], aggregate(now + before, END, cfg))
    assert [d[0] for d in daily] == [len(now)]
    assert all(v is None or math.isfinite(v) for row in daily + signals for v in row)


@settings(max_examples=200, deadline=None)
@given(
    st.floats(0, 1e12),
    st.integers(0, 10_000_000),
    st.sampled_from([1e-9, 3.0, 1e9]),
)
def test_confidence_factor_is_total_and_bounded(total: float, n: int, scale: float) -> None:
    cfg = AggregationConfig(confidence_scale=scale)
    factor = confidence_factor(total, n, cfg)
    assert 0.0 <= factor <= 1.0


def _hot_bucket(count: int, upvotes: int) -> list[Mention]:
    return [
        Mention(
            post_id=f"t3_hot{i}",
            subreddit="wallstreetbets",
            created_utc=END - timedelta(seconds=1 + i % 1799),
            upvotes=upvotes,
            mention_weight=1.0,
            status="scored",
            score=(0.6, 5.7e-17, -0.2, 0.0)[i % 4],
            author_hash=f"a{i % 97}",
        )
        for i in range(count)
    ]


def test_500_upvoted_mentions_of_one_ticker_go_through_the_aggregate_stage(
    fresh_db: str, tmp_path: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The crash users hit: exp(-total_w * pc_weight / scale) below -745 raised `underflow`."""
    monkeypatch.setenv("DATABASE_URL", fresh_db)
    monkeypatch.setenv("TICKERPULSE_HOME", str(tmp_path))
    settings_ = load_settings()
    migrate(settings_)
    rows = _hot_bucket(500, 250)
    with psycopg2.connect(fresh_db) as conn, conn.cursor() as cur:
        _insert(cur, START, rows)
    ctx = StageContext(Interval(START, END), RunParams.from_params({}, settings_), settings_)
    out = aggregate_stage.run(ctx, {"loaded": len(rows)})
    assert out == {"tickers": 1, "mentions": 500}
    cfg = AggregationConfig.from_settings(settings_)
    with psycopg2.connect(fresh_db) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT ticker, mentions, unique_authors, scored, raw_mean, weighted_mean,"
            " total_weight, consensus, confidence, tier FROM tickerpulse.sentiment_30m"
        )
        got = {r[0]: r[1:] for r in cur.fetchall()}
    want = aggregate(rows, END, cfg)
    _assert_agrees(got["GME"], want)
    assert want.total_weight > 700 * cfg.confidence_scale  # far past where exp() used to raise


@pytest.mark.slow
def test_a_million_upvotes_on_every_one_of_50000_mentions(fresh_db: str) -> None:
    """Big counts: 50,000 mentions in one bucket, 1M upvotes each, through every rollup."""
    migrate(fresh_db)
    with psycopg2.connect(fresh_db) as conn, conn.cursor() as cur:
        cur.execute(
            "INSERT INTO tickerpulse.posts (post_id, kind, subreddit, author_hash, created_utc,"
            " score, content_hash, simhash, interval_start)"
            " SELECT 't3_' || i, 'post', 'wallstreetbets', 'a' || (i %% 1000),"
            " %s - make_interval(secs => 1 + i %% 1799), 1000000, 'h', 0, %s"
            " FROM generate_series(1, 50000) i",
            (END, START),
        )
        cur.execute(
            "INSERT INTO tickerpulse.post_sentiment (post_id, ticker, scorer_version, status,"
            " score, scorer, mention_kind, mention_weight, interval_start)"
            " SELECT 't3_' || i, 'GME', 'v1', 'scored', (ARRAY[0.5, 5.7e-17, 0, -1])[1 + i %% 4],"
            " 'offline', 'symbol', 1.0, %s FROM generate_series(1, 50000) i",
            (START,),
        )
    assert rebuild_bucket(fresh_db, START, END, CFG) == (1, 50000)
    with psycopg2.connect(fresh_db) as conn, conn.cursor() as cur:
        cur.execute("SELECT mentions, confidence, weighted_mean FROM tickerpulse.sentiment_30m")
        mentions, confidence, mean = cur.fetchone()
    assert mentions == 50000
    assert 0 < confidence <= 1
    assert -1 <= mean <= 1
