"""What each task of the `reddit_sentiment` DAG returns: the hand-offs, as typed dicts.

Task outputs travel through XCom, which stores JSON, so they stay plain dicts; TypedDicts let
mypy check every key a stage writes and every key the next stage reads (`load` reads about 16
of them from three stages). They carry counts and object-store URLs only: the run's params and
interval are the task's own context, never copied into its output, so the metrics listener
stores counts and nothing else (a run once showed `params.post_limit: 1000000` among them).
"""

# No `from __future__ import annotations` here: TypedDict must see NotRequired[...] at runtime
# to tell required keys from optional ones (__required_keys__), which the tests check.
from typing import Any, NotRequired, TypedDict, get_type_hints


class ExtractOut(TypedDict):
    raw: list[str]  # one raw partition URL per subreddit
    extracted: int
    origins: dict[str, str]  # subreddit -> where its records came from (praw, lake, replay…)
    # subreddit -> estimated share of the interval's items read (interval_coverage), for the
    # subreddits fetched in this run; a partition read back from the lake keeps its stored row
    coverage: dict[str, float]


class ValidateOut(TypedDict):
    extracted: int
    valid: str  # URL of the validated rows
    valid_count: int
    quarantine: str  # URL of the quarantined rows, each with its reason
    quarantined: int
    docs_path: str | None  # the run's Data Docs page


class FilterOut(TypedDict):
    kept: str  # URL of the kept posts
    kept_count: int
    with_tickers: int
    dropped: str  # URL of the dropped posts, each with its reason
    duplicates: int
    bots: int
    dropped_by_reason: dict[str, int]
    tickers: list[str]
    mentions_dropped_by_reason: dict[str, int]


class ShardRef(TypedDict):
    """One element of plan_batches' list: what one mapped score task reads."""

    shard_no: int
    shard: str  # URL of the shard's batches
    posts: int


class ScoreOut(TypedDict):
    scores: str  # URL of the shard's score rows
    posts: int
    scored: int
    unscored: int
    llm_calls: int
    tokens_in: int
    tokens_out: int
    cost_usd: NotRequired[float]  # older outputs have none: load prices them itself
    cache_hits: int
    cache_stored: int
    llm_fallback: NotRequired[int]
    rate_limited: int
    retries: int
    scorer_version: str


class PricesOut(TypedDict):
    """With the warehouse off only `skipped` says why; with no tickers nothing was asked."""

    tickers: int
    bars: int
    skipped: NotRequired[str]
    calls: NotRequired[int]
    missing: NotRequired[list[str]]  # tickers with no bars at any size
    bar_sizes: NotRequired[list[str]]
    by_size: NotRequired[dict[str, dict[str, Any]]]  # per bar size: asked, and what came back
    mentions: NotRequired[dict[str, int]]  # mentions joined to prices, and how many complete


class LoadOut(TypedDict):
    """The interval's row of tickerpulse.pipeline_runs, times as ISO 8601 text."""

    interval_start: str
    interval_end: str
    extracted: int
    quarantined: int
    duplicates: int
    bots: int
    loaded: int
    with_tickers: int
    scored: int
    unscored: int
    llm_calls: int
    tokens_in: int
    tokens_out: int
    cost_usd: float
    cache_hits: int
    llm_fallback: int
    scorer_version: str
    dq_docs_path: str | None
    dropped_by_reason: str  # JSON object: reason -> count
    quarantined_by_reason: str
    mentions_dropped_by_reason: str


class AggregateOut(TypedDict):
    tickers: int
    mentions: int


# Task id of the reddit_sentiment DAG -> what it returns (plan_batches returns list[ShardRef]).
STAGE_OUTPUTS: dict[str, type] = {
    "extract": ExtractOut,
    "validate": ValidateOut,
    "filter": FilterOut,
    "plan_batches": ShardRef,
    "score": ScoreOut,
    "prices": PricesOut,
    "load": LoadOut,
    "aggregate": AggregateOut,
}


def count_fields(contract: type) -> frozenset[str]:
    """The fields of a contract that are counts: `int`, or `dict[str, int]` (counts by reason)."""
    counts = set()
    for name, hint in get_type_hints(contract).items():
        if hint is int or hint == dict[str, int]:
            counts.add(name)
    return frozenset(counts)
