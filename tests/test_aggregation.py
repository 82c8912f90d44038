"""The aggregation formula: the worked example, its properties, SQL == Python on the same rows."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta

import psycopg2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tickerpulse.aggregation import (
    AggregationConfig,
    Mention,
    aggregate,
    post_count_weight,
    rank,
    tier,
    weight_parts,
    weighted_mean,
)
from tickerpulse.config import load_settings, parse_source_weights
from tickerpulse.stages.aggregate import rebuild_bucket
from tickerpulse.warehouse.migrate import migrate

END = datetime(2024, 3, 5, 15, 0, tzinfo=UTC)
CFG = AggregationConfig(source_weights={"wallstreetbets": 1.0, "stocks": 0.8, "investing": 0.8})


def test_published_worked_example() -> None:
    mean = weighted_mean([0.9, 0.2, -0.6], [1.0637, 0.6526, 0.1206])
    assert mean is not None
    assert round(mean, 3) == 0.553


def test_tiers_at_the_published_thresholds() -> None:
    assert [tier(x) for x in (-0.5, -0.3, -0.2, -0.1, 0.0, 0.1, 0.2, 0.3, 0.9)] == [
        "strong_bearish", "strong_bearish", "bearish", "bearish", "neutral",
        "bullish", "bullish", "strong_bullish", "strong_bullish",
    ]  # fmt: skip
    assert tier(None) == "unscored"


def test_weight_parts_follow_the_documented_factors() -> None:
    m = Mention("t3_a", "stocks", END - timedelta(hours=2), 10, 0.5, "scored", 0.4)
    parts = weight_parts(m, END, CFG)
    assert parts.decay == pytest.approx(math.exp(-0.2))
    assert parts.source == 0.8
    assert parts.ambiguity == 0.5
    assert parts.upvotes == pytest.approx(1 + math.log(11))
    negative = Mention("t3_b", "other", END, -40, 1.0, "scored", 0.1)
    assert weight_parts(negative, END, CFG).upvotes == 1.0  # downvotes do not go below 1
    assert weight_parts(negative, END, CFG).source == 1.0  # unknown subreddit: the default


def test_post_count_weight_is_capped() -> None:
    assert post_count_weight(1, CFG) == 1.0
    assert post_count_weight(10, CFG) == pytest.approx(1 + math.log(10) * 0.1)
    assert post_count_weight(10**9, CFG) == 1.5


def test_config_from_env_and_bad_weights() -> None:
    cfg = AggregationConfig.from_settings(
        load_settings(
            {"TICKERPULSE_DECAY_LAMBDA": "0.2", "TICKERPULSE_SOURCE_WEIGHTS": "WSB=1, stocks=0.8"}
        )
    )
    assert cfg.decay_lambda == 0.2
    assert cfg.source_weight("Stocks") == 0.8
    assert AggregationConfig.from_settings(load_settings({})).decay_lambda == 0.1
    with pytest.raises(ValueError, match="TICKERPULSE_SOURCE_WEIGHTS"):
        load_settings({"TICKERPULSE_SOURCE_WEIGHTS": "stocks=0"})
    for bad in ("stocks", "stocks=0", "stocks=-1", "=1"):
        with pytest.raises(ValueError):
            parse_source_weights(bad)


def test_more_agreement_and_more_posts_give_more_confidence() -> None:
    def conf(scores: list[float]) -> float:
        rows = [
            Mention(f"t3_{i}", "wallstreetbets", END, 5, 1.0, "scored", s)
            for i, s in enumerate(scores)
        ]
        value = aggregate(rows, END, CFG).confidence
        assert value is not None
        return value

    assert conf([0.5, 0.5, 0.5]) > conf([0.9, 0.1, -0.3])
    assert conf([0.5] * 10) > conf([0.5] * 2)


def test_rank_is_by_mentions_then_weight_then_ticker() -> None:
    rows = {
        t: aggregate(
            [Mention(f"{t}{i}", "stocks", END, up, 1.0, "scored", 0.1) for i in range(n)], END, CFG
        )
        for t, n, up in (("AAA", 1, 0), ("BBB", 3, 0), ("CCC", 1, 50), ("DDD", 1, 0))
    }
    assert rank(rows) == {"BBB": 1, "CCC": 2, "AAA": 3, "DDD": 4}


mentions = st.lists(
    st.builds(
        Mention,
        post_id=st.text(alphabet="abcdef", min_size=1, max_size=4),
        subreddit=st.sampled_from(["wallstreetbets", "stocks", "investing", "pennystocks"]),
        created_utc=st.integers(0, 24 * 3600).map(lambda s: END - timedelta(seconds=s)),
        upvotes=st.one_of(st.none(), st.integers(-100, 10**6)),
        mention_weight=st.floats(0.01, 1.0),
        status=st.sampled_from(["scored", "scored", "unscored"]),
        score=st.floats(-1.0, 1.0),
    ),
    max_size=30,
)


@settings(max_examples=200, deadline=None)
@given(mentions, st.randoms())
def test_properties_positive_clamped_permutation_invariant(
    rows: list[Mention], rnd: random.Random
) -> None:
    for m in rows:
        assert weight_parts(m, END, CFG).total > 0
    result = aggregate(rows, END, CFG)
    if result.weighted_mean is not None:
        assert -1.0 <= result.weighted_mean <= 1.0
    if result.confidence is not None:
        assert 0.0 <= result.confidence <= 1.0
    shuffled = rows[:]
    rnd.shuffle(shuffled)
    again = aggregate(shuffled, END, CFG)
    assert again.tier == result.tier
    assert again.mentions == result.mentions
    for a, b in (
        (again.weighted_mean, result.weighted_mean),
        (again.confidence, result.confidence),
    ):
        assert (a is None and b is None) or a == pytest.approx(b, abs=2e-6)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.floats(-1, 1), st.floats(1e-3, 100)), min_size=1, max_size=20))
def test_weighted_mean_lies_between_the_scores(pairs: list[tuple[float, float]]) -> None:
    scores, weights = zip(*pairs, strict=True)
    mean = weighted_mean(scores, weights)
    assert mean is not None
    assert min(scores) - 1e-9 <= mean <= max(scores) + 1e-9


def _insert(
    cur: object, rows: list[tuple[str, str, datetime, int, str, float, str, float]]
) -> None:
    for i, (pid, sub, created, up, ticker, amb, status, score) in enumerate(rows):
        cur.execute(  # type: ignore[attr-defined]
            "INSERT INTO tickerpulse.posts (post_id, kind, subreddit, author_hash, created_utc,"
            " score, content_hash, simhash, interval_start) VALUES (%s,'post',%s,%s,%s,%s,'h',0,%s)"
            " ON CONFLICT DO NOTHING",
            (pid, sub, f"a{i % 3}", created, up, END - timedelta(minutes=30)),
        )
        cur.execute(  # type: ignore[attr-defined]
            "INSERT INTO tickerpulse.post_sentiment (post_id, ticker, scorer_version, status,"
            " score, scorer, mention_kind, mention_weight, interval_start)"
            " VALUES (%s,%s,'v1',%s,%s,'offline','symbol',%s,%s)",
            (pid, ticker, status, score if status == "scored" else None, amb,
             END - timedelta(minutes=30)),
        )  # fmt: skip


def test_sql_matches_the_python_reference(fresh_db: str) -> None:
    migrate(fresh_db)
    rnd = random.Random(7)
    rows = []
    for i in range(60):
        rows.append(
            (
                f"t3_{i}",
                rnd.choice(["wallstreetbets", "stocks", "investing", "other"]),
                END - timedelta(seconds=rnd.randint(1, 1800)),
                rnd.choice([0, 1, 5, 40, 1200, -3]),
                rnd.choice(["GME", "AMC", "TSLA", "ON"]),
                rnd.choice([1.0, 0.9, 0.1]),
                rnd.choice(["scored"] * 4 + ["unscored"]),
                round(rnd.uniform(-1, 1), 3),
            )
        )
    with psycopg2.connect(fresh_db) as conn, conn.cursor() as cur:
        _insert(cur, rows)
    rebuild_bucket(fresh_db, END - timedelta(minutes=30), END, CFG)
    with psycopg2.connect(fresh_db) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT ticker, mentions, unique_authors, scored, raw_mean, weighted_mean,"
            " total_weight, consensus, confidence, tier, rank FROM tickerpulse.sentiment_30m"
        )
        sql_rows = {r[0]: r[1:] for r in cur.fetchall()}
        cur.execute("SELECT ticker, mentions, weighted_mean FROM tickerpulse.sentiment_24h")
        rolling = {r[0]: r[1:] for r in cur.fetchall()}
    python = {}
    for ticker in {r[4] for r in rows}:
        python[ticker] = aggregate(
            [
                Mention(pid, sub, created, up, amb, status, score, f"a{i % 3}")
                for i, (pid, sub, created, up, t, amb, status, score) in enumerate(rows)
                if t == ticker
            ],
            END,
            CFG,
        )
    ranks = rank(python)
    assert set(sql_rows) == set(python)
    for ticker, agg in python.items():
        got = sql_rows[ticker]
        assert got[:3] == (agg.mentions, agg.unique_authors, agg.scored)
        for value, want in zip(got[3:8], (agg.raw_mean, agg.weighted_mean, agg.total_weight,
                                          agg.consensus, agg.confidence), strict=True):  # fmt: skip
            assert value == pytest.approx(want, abs=2e-6), ticker
        assert got[8] == agg.tier
        assert got[9] == ranks[ticker]
        assert rolling[ticker][0] == agg.mentions  # the same posts are inside the 24 hours


def test_rank_24h_ago_and_removed_posts(fresh_db: str) -> None:
    migrate(fresh_db)
    day_before = END - timedelta(hours=24)
    with psycopg2.connect(fresh_db) as conn, conn.cursor() as cur:
        _insert(cur, [("t3_x", "stocks", END - timedelta(minutes=5), 1, "GME", 1.0, "scored", 0.5)])
        _insert(cur, [("t3_y", "stocks", END - timedelta(minutes=6), 1, "AMC", 1.0, "scored", 0.5)])
        _insert(cur, [("t3_z", "stocks", END - timedelta(minutes=7), 1, "AMC", 1.0, "scored", 0.5)])
        cur.execute(
            "UPDATE tickerpulse.posts SET interval_start = %s, created_utc = created_utc - interval"
            " '24 hours' WHERE post_id IN ('t3_y', 't3_z')",
            (day_before - timedelta(minutes=30),),
        )
        _insert(cur, [("t3_w", "stocks", END - timedelta(minutes=8), 1, "AMC", 1.0, "scored", 0.5)])
    # the later bucket first, then the earlier one: the later row still learns its past
    rebuild_bucket(fresh_db, END - timedelta(minutes=30), END, CFG)
    rebuild_bucket(fresh_db, day_before - timedelta(minutes=30), day_before, CFG)
    with psycopg2.connect(fresh_db) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT ticker, rank, rank_24h_ago, mentions_24h_ago FROM tickerpulse.sentiment_30m"
            " WHERE bucket_start = %s ORDER BY ticker",
            (END - timedelta(minutes=30),),
        )
        assert cur.fetchall() == [("AMC", 2, 1, 2), ("GME", 1, None, 0)]
        cur.execute("UPDATE tickerpulse.posts SET removed = true WHERE post_id = 't3_x'")
    rebuild_bucket(fresh_db, END - timedelta(minutes=30), END, CFG)
    with psycopg2.connect(fresh_db) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT ticker FROM tickerpulse.sentiment_30m WHERE bucket_start = %s",
            (END - timedelta(minutes=30),),
        )
        assert cur.fetchall() == [("AMC",)]


def test_one_row_per_post_and_ticker_is_enforced(fresh_db: str) -> None:
    migrate(fresh_db)
    with psycopg2.connect(fresh_db) as conn, conn.cursor() as cur:
        _insert(cur, [("t3_x", "stocks", END, 1, "GME", 1.0, "scored", 0.5)])
        with pytest.raises(psycopg2.errors.UniqueViolation):
            cur.execute(
                "INSERT INTO tickerpulse.post_sentiment (post_id, ticker, scorer_version, status,"
                " scorer, mention_kind, mention_weight, interval_start)"
                " VALUES ('t3_x', 'GME', 'v2', 'unscored', 'llm', 'symbol', 1, %s)",
                (END,),
            )
