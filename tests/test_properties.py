"""Property-based tests (hypothesis) of the pure functions bad input flows through.

Complements the smaller properties beside each module (test_parse, test_batching, test_tickers,
test_aggregation) with the issue's scale and the properties those do not state: the parser over
10,000 generated records shaped like Reddit's, the packer's determinism and its ids under
duplicates, the extractor on symbol-rich unicode, and the aggregator's symmetry, unscored
invariance and duplication behaviour.
"""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tickerpulse.aggregation import AggregationConfig, Mention, aggregate, tier, weighted_mean
from tickerpulse.batching import Batch, group_into_shards, pack_batches
from tickerpulse.parse import MAX_TEXT_CHARS, parse_record
from tickerpulse.schema import RAW_POST_SCHEMA
from tickerpulse.symbols import load_symbols
from tickerpulse.tickers import TickerExtractor

# --- the record parser -------------------------------------------------------------------------

# Every character, lone surrogates and NUL included: Reddit and its recordings can hold them.
any_char = st.characters(codec=None, exclude_categories=())
any_text = st.text(any_char, max_size=40)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | any_text
    | st.sampled_from(["[deleted]", "[removed]", "t3_abc", "t1_x", "1709647200", " 12 ", "1e3"])
)
json_like = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(any_text, inner, max_size=3),
    max_leaves=3,
)
FIELDS = (
    "id",
    "name",
    "title",
    "selftext",
    "body",
    "author",
    "created_utc",
    "retrieved_utc",
    "score",
    "num_comments",
    "parent_id",
    "permalink",
    "author_created_utc",
    "author_link_karma",
    "author_comment_karma",
    "_unparseable_line",
    "removed_by_category",
)
records = st.one_of(
    st.dictionaries(st.sampled_from(FIELDS), scalars | json_like, min_size=1, max_size=8),
    st.dictionaries(st.sampled_from(FIELDS) | any_text, json_like, max_size=4),
    json_like,
)


# 2,000 cases: about 11 s; a run with TICKERPULSE_HYPOTHESIS_EXPLORE=1 draws new ones each time.
@pytest.mark.slow
@settings(
    max_examples=2_000, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(
    record=records,
    record_no=st.integers(0, 2**62),
    subreddit=st.from_regex(r"[A-Za-z0-9_]{1,21}", fullmatch=True),  # names are checked upstream
)
def test_parser_handles_any_record_and_every_row_fits_the_schema(
    record: object, record_no: int, subreddit: str
) -> None:
    row = parse_record(record, record_no, subreddit)
    table = pa.Table.from_pylist([row], schema=RAW_POST_SCHEMA)  # raises if a value does not fit
    assert table.num_rows == 1
    assert row["record_no"] == record_no
    assert row["raw_json"]
    for key in ("title", "body", "author", "raw_json", "parse_error", "id", "permalink"):
        value = row[key]
        if value is not None:
            value.encode("utf-8")  # no lone surrogate survives: Parquet and Postgres need UTF-8
            assert "\x00" not in value
    for key in ("title", "body"):
        assert row[key] is None or len(row[key]) <= MAX_TEXT_CHARS
    # A row is either clean or says why not: nothing is typed away silently.
    if not isinstance(record, dict) or "_unparseable_line" in record:
        assert row["parse_error"]
    if row["id"] is not None:
        assert row["kind"] in ("post", "comment")
        assert row["id"][:3] in ("t3_", "t1_")


# --- the batch packer and the shards -----------------------------------------------------------

token_lists = st.lists(st.integers(min_value=0, max_value=5000), max_size=400)


@settings(max_examples=300, deadline=None)
@given(
    tokens=token_lists,
    budget=st.integers(min_value=1, max_value=8000),
    max_items=st.integers(min_value=1, max_value=80),
    overhead=st.integers(min_value=0, max_value=64),
    seed=st.randoms(use_true_random=False),
)
def test_packer_is_deterministic_within_budget_and_places_each_id_once(
    tokens: list[int], budget: int, max_items: int, overhead: int, seed: random.Random
) -> None:
    ids = [f"t3_{seed.getrandbits(40):x}_{i}" for i in range(len(tokens))]  # unordered ids
    items = list(zip(ids, tokens, strict=True))
    first = pack_batches(items, budget, max_items, overhead)
    second = pack_batches(list(items), budget, max_items, overhead)
    assert [(b.post_ids, b.input_tokens, b.oversized) for b in first] == [
        (b.post_ids, b.input_tokens, b.oversized) for b in second
    ]
    placed = [pid for b in first for pid in b.post_ids]
    assert len(placed) == len(set(placed)) == len(items)
    assert set(placed) == set(ids)
    for batch in first:
        if batch.input_tokens > budget:
            assert batch.oversized
            assert len(batch.post_ids) == 1
        else:
            assert not batch.oversized
            assert 1 <= len(batch.post_ids) <= max_items
    oversized = {pid for pid, t in items if t + overhead > budget}
    assert {b.post_ids[0] for b in first if b.oversized} == oversized
    # Fewer batches are impossible than the budget and the item cap allow.
    fitting = [t + overhead for _, t in items if t + overhead <= budget]
    if fitting:
        lower = max(math.ceil(sum(fitting) / budget), math.ceil(len(fitting) / max_items))
        assert len(first) - len(oversized) >= lower


@settings(max_examples=100, deadline=None)
@given(tokens=st.lists(st.integers(0, 100), min_size=2, max_size=50), data=st.data())
def test_packer_refuses_a_repeated_id(tokens: list[int], data: st.DataObject) -> None:
    items = [(f"p{i}", t) for i, t in enumerate(tokens)]
    twice = data.draw(st.sampled_from(items))
    with pytest.raises(ValueError, match="appears twice"):
        pack_batches([*items, twice])


@settings(max_examples=300, deadline=None)
@given(
    count=st.integers(min_value=0, max_value=5000),
    max_shards=st.integers(min_value=1, max_value=128),
    min_per_shard=st.integers(min_value=1, max_value=10),
)
def test_shards_cover_every_batch_once_in_order_and_evenly(
    count: int, max_shards: int, min_per_shard: int
) -> None:
    batches = [Batch(i, [f"p{i}"], 1) for i in range(count)]
    shards = group_into_shards(batches, max_shards, min_per_shard)
    assert 1 <= len(shards) <= max_shards
    assert [b.batch_no for s in shards for b in s] == list(range(count))
    sizes = [len(s) for s in shards]
    assert max(sizes) - min(sizes) <= 1
    if count >= min_per_shard:
        assert min(sizes) >= min(min_per_shard, count // max_shards)
    assert shards == group_into_shards(batches, max_shards, min_per_shard)


# --- ticker extraction -------------------------------------------------------------------------

EXTRACTOR = TickerExtractor(load_symbols())
SYMBOLS = sorted(s.symbol for s in EXTRACTOR.symbols)
symbol_words = st.sampled_from(SYMBOLS).flatmap(
    lambda s: st.sampled_from([s, f"${s}", s.lower(), f"${s.lower()}", f"({s})", f"{s}!", f"＄{s}"])
)
fragments = st.lists(
    symbol_words
    | st.text(any_char, max_size=12)
    | st.sampled_from(["calls", "puts", "🚀", "\u202e"]),
    max_size=25,
)


@pytest.mark.slow
@settings(max_examples=1000, deadline=None)
@given(parts=fragments, separators=st.lists(st.sampled_from([" ", "\n", "", "\x00", "\u200f"])))
def test_extraction_on_any_unicode_returns_only_known_symbols(
    parts: list[str], separators: list[str]
) -> None:
    glue = iter(separators * (len(parts) // max(1, len(separators)) + 1) or [" "] * len(parts))
    text = "".join(p + next(glue, " ") for p in parts)
    found = EXTRACTOR.extract(text)
    tickers = [m.ticker for m in found]
    assert len(tickers) == len(set(tickers))
    for mention in found:
        assert mention.ticker in EXTRACTOR.symbols
        assert 0.0 < mention.weight <= 1.0
    assert [m.ticker for m in EXTRACTOR.extract(text)] == tickers  # deterministic


@settings(max_examples=500, deadline=None)
@given(
    symbol=st.sampled_from(SYMBOLS),
    before=st.text(any_char, max_size=30),
    after=st.text(any_char, max_size=30),
)
def test_a_cashtag_is_found_whatever_unicode_surrounds_it(
    symbol: str, before: str, after: str
) -> None:
    alone = [m.ticker for m in EXTRACTOR.extract(f"${symbol}")]
    found = [m.ticker for m in EXTRACTOR.extract(f"{before} ${symbol} {after}")]
    assert set(alone) <= set(found)  # surrounding text can add mentions, never hide this one


# --- the aggregator ----------------------------------------------------------------------------

END = datetime(2024, 3, 5, 16, 0, tzinfo=UTC)
CFG = AggregationConfig(source_weights={"wallstreetbets": 1.0, "stocks": 0.8})
mentions = st.lists(
    st.builds(
        Mention,
        post_id=st.text(alphabet="abcdefgh", min_size=1, max_size=3),
        subreddit=st.sampled_from(["wallstreetbets", "stocks", "investing"]),
        created_utc=st.integers(0, 24 * 3600).map(lambda s: END - timedelta(seconds=s)),
        upvotes=st.one_of(st.none(), st.integers(-1000, 10**7)),
        mention_weight=st.floats(0.01, 1.0),
        status=st.sampled_from(["scored", "scored", "unscored"]),
        score=st.floats(-1.0, 1.0),
        author_hash=st.one_of(st.none(), st.sampled_from(["a", "b", "c"])),
    ),
    max_size=25,
)


def _negated(m: Mention) -> Mention:
    return Mention(
        m.post_id,
        m.subreddit,
        m.created_utc,
        m.upvotes,
        m.mention_weight,
        m.status,
        None if m.score is None else -m.score,
        m.author_hash,
    )


MIRROR = {
    "strong_bearish": "strong_bullish",
    "bearish": "bullish",
    "neutral": "neutral",
    "bullish": "bearish",
    "strong_bullish": "strong_bearish",
    "unscored": "unscored",
}


@settings(max_examples=500, deadline=None)
@given(rows=mentions)
def test_aggregate_is_bounded_and_symmetric_under_negation(rows: list[Mention]) -> None:
    result = aggregate(rows, END, CFG)
    mirrored = aggregate([_negated(m) for m in rows], END, CFG)
    assert result.mentions == len({m.post_id for m in rows})
    assert result.scored == sum(m.status == "scored" and m.score is not None for m in rows)
    if result.weighted_mean is None:
        assert result.scored == 0
        assert result.tier == "unscored"
        assert mirrored.weighted_mean is None
        return
    scores = [m.score for m in rows if m.status == "scored" and m.score is not None]
    assert min(scores) - 1e-6 <= result.weighted_mean <= max(scores) + 1e-6
    assert result.raw_mean is not None
    assert -1.0 <= result.raw_mean <= 1.0
    assert result.confidence is not None
    assert result.consensus is not None
    assert 0.0 <= result.confidence <= result.consensus + 1e-9 <= 1.0 + 1e-9
    assert mirrored.weighted_mean == pytest.approx(-result.weighted_mean, abs=1e-6)
    assert mirrored.confidence == pytest.approx(result.confidence, abs=1e-6)
    # Tiers come from the unrounded mean; at a threshold the rounded one may sit on either side.
    if all(abs(abs(result.weighted_mean) - t) > 1e-5 for t in (0.1, 0.3)):
        assert result.tier == tier(result.weighted_mean)
        assert mirrored.tier == MIRROR[result.tier]


@settings(max_examples=300, deadline=None)
@given(rows=mentions, extra=mentions)
def test_unscored_mentions_change_only_the_mention_count(
    rows: list[Mention], extra: list[Mention]
) -> None:
    unscored = [
        Mention(f"u{i}", m.subreddit, m.created_utc, m.upvotes, m.mention_weight, "unscored", None)
        for i, m in enumerate(extra)
    ]
    base = aggregate(rows, END, CFG)
    more = aggregate(rows + unscored, END, CFG)
    assert more.mentions == base.mentions + len(unscored)
    assert (more.weighted_mean, more.confidence, more.tier, more.total_weight) == (
        base.weighted_mean,
        base.confidence,
        base.tier,
        base.total_weight,
    )


@settings(max_examples=300, deadline=None)
@given(rows=mentions.filter(lambda r: any(m.status == "scored" for m in r)))
def test_repeating_every_voice_keeps_the_mean_and_never_lowers_confidence(
    rows: list[Mention],
) -> None:
    base = aggregate(rows, END, CFG)
    doubled = aggregate(rows + rows, END, CFG)
    assert doubled.weighted_mean == pytest.approx(base.weighted_mean, abs=2e-6)
    assert doubled.consensus == pytest.approx(base.consensus, abs=2e-6)
    assert doubled.confidence is not None
    assert base.confidence is not None
    assert doubled.confidence >= base.confidence - 2e-6


@settings(max_examples=300, deadline=None)
@given(
    score=st.floats(-1.0, 1.0),
    weights=st.lists(st.floats(1e-6, 1e6), min_size=1, max_size=30),
)
def test_unanimous_scores_give_that_score_and_full_consensus(
    score: float, weights: list[float]
) -> None:
    assert weighted_mean([score] * len(weights), weights) == pytest.approx(score, abs=1e-12)
    rows = [
        Mention(f"p{i}", "stocks", END - timedelta(minutes=i), i, 1.0, "scored", score)
        for i in range(len(weights))
    ]
    result = aggregate(rows, END, CFG)
    assert result.weighted_mean == pytest.approx(score, abs=1e-6)
    assert result.consensus == 1.0


@settings(max_examples=200, deadline=None)
@given(
    pairs=st.lists(
        st.tuples(
            st.floats(-1.0, 1.0) | st.just(math.nan),  # a scorer bug, or a NaN from upstream
            st.floats(0.0, 1e300) | st.just(math.nan),  # weights are bounded positive products
        ),
        min_size=1,
        max_size=30,
    )
)
def test_weighted_mean_is_clamped_and_never_nan(pairs: list[tuple[float, float]]) -> None:
    scores, weights = (list(x) for x in zip(*pairs, strict=True))
    mean = weighted_mean(scores, weights)
    assert mean is None or -1.0 <= mean <= 1.0  # never NaN, which the clamp would turn into +1
    if any(math.isnan(s) for s, w in pairs if w > 0):
        assert mean is None
