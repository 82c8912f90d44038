"""How mentions become one sentiment per ticker and bucket: the formula, as plain Python.

sql/queries/aggregate_interval.sql computes the same numbers in Postgres (a test runs both on the
same rows); this module is the readable reference that the tests, property tests and
`tickerpulse explain` use, so a user can see why a ticker scored what it did.

Weight of one (post, ticker) mention, all factors positive:

    w = ambiguity                        symbol ambiguity, 1.0 for cashtags and company names
      * exp(-lambda * dt_hours)          time decay to the end of the window (lambda 0.1)
      * source_weight(subreddit)         e.g. wallstreetbets 1.0, stocks 0.8 (configurable)
      * (1 + ln(1 + max(upvotes, 0)))    upvotes, log-scaled so one viral post cannot dominate

Per ticker: weighted_mean = sum(w*s)/sum(w) clamped to [-1, 1], raw_mean beside it;
post-count weight 1 + min(max_bonus, k*ln(n)) scales the evidence (not the mean: a constant
factor cancels in a weighted mean) so that many voices give more confidence than one loud one;
confidence = (1 - exp(-evidence/scale)) * consensus * n/(n+1) with consensus = 1 - min(1, spread)
and spread the population standard deviation of the scores. Tiers at -0.3/-0.1/+0.1/+0.3.

Safe over the whole input range, by the same rules as sql/030_safe_numbers.sql (PostgreSQL raises
on an underflowing exp() or product where Python returns 0, so both follow explicit rules instead):
exp() arguments are clamped to >= EXP_FLOOR; a weight whose logarithm is below EXP_FLOOR is 0; a
score with |s| < SCORE_EPSILON counts as 0; the weighted mean is 0 when |sum(w*s)| <= sum(w) *
MEAN_EPSILON; the confidence factor 1 - exp(-evidence) is 1 beyond an evidence of -EXP_FLOOR and
0 when ln(evidence) < EXP_FLOOR.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from tickerpulse.config import Settings, load_settings

ROUND = 6  # digits kept in the warehouse, so Python and SQL agree to the last stored digit
TIERS = ("strong_bearish", "bearish", "neutral", "bullish", "strong_bullish")
UNSCORED = "unscored"
EXP_FLOOR = -700.0  # exp(-700) ~ 9.9e-305, still a normal double; PostgreSQL raises below ~-745
SCORE_EPSILON = 1e-12  # |score| below this is scorer noise (the offline scorer emits 5.7e-17)
MEAN_EPSILON = 1e-15  # |weighted mean| at or below this is 0


def effective_score(score: float) -> float:
    """The score the formulas use: scorer noise below SCORE_EPSILON is 0, as in SQL."""
    return 0.0 if abs(score) < SCORE_EPSILON else score


@dataclass(frozen=True)
class AggregationConfig:
    decay_lambda: float = 0.1
    source_weights: Mapping[str, float] = field(default_factory=dict)
    default_source_weight: float = 1.0
    post_count_k: float = 0.1
    post_count_max_bonus: float = 0.5
    confidence_scale: float = 3.0

    def __post_init__(self) -> None:
        if self.decay_lambda < 0:
            raise ValueError("decay lambda must be >= 0")
        if any(w <= 0 for w in self.source_weights.values()) or self.default_source_weight <= 0:
            raise ValueError("source weights must be > 0")
        if self.post_count_k < 0 or self.post_count_max_bonus < 0 or self.confidence_scale <= 0:
            raise ValueError("post-count k and max bonus must be >= 0, confidence scale > 0")

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> AggregationConfig:
        """TICKERPULSE_DECAY_LAMBDA, TICKERPULSE_SOURCE_WEIGHTS ("wallstreetbets=1.0,stocks=0.8"),
        TICKERPULSE_DEFAULT_SOURCE_WEIGHT, TICKERPULSE_POST_COUNT_K, _POST_COUNT_MAX_BONUS,
        TICKERPULSE_CONFIDENCE_SCALE."""
        settings = load_settings() if settings is None else settings
        return cls(
            decay_lambda=settings.decay_lambda,
            source_weights=dict(settings.source_weights),
            default_source_weight=settings.default_source_weight,
            post_count_k=settings.post_count_k,
            post_count_max_bonus=settings.post_count_max_bonus,
            confidence_scale=settings.confidence_scale,
        )

    def source_weight(self, subreddit: str) -> float:
        return self.source_weights.get(subreddit.casefold(), self.default_source_weight)

    def sql_params(self) -> dict[str, object]:
        """The parameters aggregate_interval.sql reads, so SQL and Python share one config."""
        names = sorted(self.source_weights)
        return {
            "decay": self.decay_lambda,
            "source_names": names,
            "source_weights": [self.source_weights[n] for n in names],
            "default_source_weight": self.default_source_weight,
            "post_count_k": self.post_count_k,
            "post_count_max_bonus": self.post_count_max_bonus,
            "confidence_scale": self.confidence_scale,
        }


@dataclass(frozen=True)
class Mention:
    """One (post, ticker) row as the warehouse holds it."""

    post_id: str
    subreddit: str
    created_utc: datetime
    upvotes: int | None
    mention_weight: float
    status: str  # scored | unscored
    score: float | None
    author_hash: str | None = None


@dataclass(frozen=True)
class WeightParts:
    ambiguity: float
    decay: float
    source: float
    upvotes: float
    # -lambda * hours clamped to EXP_FLOOR (decay = exp of it); SQL tests the exponent itself
    decay_exponent: float | None = None

    @property
    def total(self) -> float:
        """The product, or 0 where its logarithm is below EXP_FLOOR (SQL never forms it there)."""
        if self.ambiguity <= 0 or self.source <= 0:
            return 0.0
        log_total = (
            math.log(self.ambiguity)
            + (math.log(self.decay) if self.decay_exponent is None else self.decay_exponent)
            + math.log(self.source)
            + math.log(self.upvotes)
        )
        if log_total < EXP_FLOOR:
            return 0.0
        return self.ambiguity * self.decay * self.source * self.upvotes


def weight_parts(m: Mention, window_end: datetime, cfg: AggregationConfig) -> WeightParts:
    hours = max(0.0, (window_end - m.created_utc).total_seconds() / 3600.0)
    exponent = max(EXP_FLOOR, -cfg.decay_lambda * hours)
    return WeightParts(
        ambiguity=m.mention_weight,
        decay=math.exp(exponent),
        decay_exponent=exponent,
        source=cfg.source_weight(m.subreddit),
        # log(1 + u), not log1p(u): the same libm call as SQL's ln(1 + u), to the last bit
        upvotes=1.0 + math.log(1 + max(m.upvotes or 0, 0)),
    )


def weighted_mean(scores: Sequence[float], weights: Sequence[float]) -> float | None:
    """Weighted mean clamped to [-1, 1]; None with no weight or a non-finite result. The published
    worked example: scores +0.9, +0.2, -0.6 with weights 1.0637, 0.6526, 0.1206 give +0.553."""
    if len(scores) != len(weights):
        raise ValueError("scores and weights differ in length")
    total = math.fsum(weights)
    if not total > 0:
        return None
    num = math.fsum(effective_score(s) * w for s, w in zip(scores, weights, strict=True))
    if abs(num) <= total * MEAN_EPSILON:
        return 0.0
    mean = num / total
    if not math.isfinite(mean):  # a NaN would pass the clamp as +1.0; no mean is the honest answer
        return None
    return max(-1.0, min(1.0, mean))


def post_count_weight(n: int, cfg: AggregationConfig) -> float:
    if n <= 1:
        return 1.0
    return 1.0 + min(cfg.post_count_max_bonus, math.log(n) * cfg.post_count_k)


def tier(mean: float | None) -> str:
    if mean is None:
        return UNSCORED
    if mean <= -0.3:
        return "strong_bearish"
    if mean <= -0.1:
        return "bearish"
    if mean < 0.1:
        return "neutral"
    if mean < 0.3:
        return "bullish"
    return "strong_bullish"


@dataclass(frozen=True)
class TickerAggregate:
    mentions: int
    unique_authors: int
    scored: int
    raw_mean: float | None
    weighted_mean: float | None
    total_weight: float
    consensus: float | None
    confidence: float | None
    tier: str


def confidence_factor(total_weight: float, n: int, cfg: AggregationConfig) -> float:
    """1 - exp(-evidence / scale), evidence = total weight * post-count weight, never raising."""
    if total_weight <= 0:
        return 0.0
    pc = post_count_weight(n, cfg)
    log_evidence = math.log(total_weight) + math.log(pc) - math.log(cfg.confidence_scale)
    if log_evidence < EXP_FLOOR:
        return 0.0
    if log_evidence > math.log(-EXP_FLOOR):
        return 1.0
    return 1.0 - math.exp(-total_weight * pc / cfg.confidence_scale)


def _pop_std(values: Sequence[float]) -> float:
    if not values:
        return 0.0
    mean = math.fsum(values) / len(values)
    return math.sqrt(math.fsum((v - mean) ** 2 for v in values) / len(values))


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, ROUND)


def aggregate(
    mentions: Iterable[Mention], window_end: datetime, cfg: AggregationConfig
) -> TickerAggregate:
    """One ticker's aggregate over its mentions (already restricted to the window)."""
    rows = list(mentions)
    scored = [m for m in rows if m.status == "scored" and m.score is not None]
    scores = [effective_score(float(m.score)) for m in scored if m.score is not None]
    weights = [weight_parts(m, window_end, cfg).total for m in scored]
    mean = weighted_mean(scores, weights)
    total = math.fsum(weights)
    n = len(scored)
    consensus = 1.0 - min(1.0, _pop_std(scores)) if n else None
    confidence = None
    if n and consensus is not None:
        confidence = confidence_factor(total, n, cfg) * consensus * n / (n + 1)
    return TickerAggregate(
        mentions=len({m.post_id for m in rows}),
        unique_authors=len({m.author_hash for m in rows if m.author_hash is not None}),
        scored=n,
        raw_mean=_round(math.fsum(scores) / n) if n else None,
        weighted_mean=_round(mean),
        total_weight=round(total, ROUND),
        consensus=_round(consensus),
        confidence=_round(confidence),
        tier=tier(mean),
    )


def rank(aggregates: Mapping[str, TickerAggregate]) -> dict[str, int]:
    """1 = most mentioned; ties by total weight, then ticker, so the order is total."""
    ordered = sorted(
        aggregates, key=lambda t: (-aggregates[t].mentions, -aggregates[t].total_weight, t)
    )
    return {ticker: i for i, ticker in enumerate(ordered, start=1)}
