"""Generic VADER with the usual ±0.05 thresholds: the baseline every offline score is compared to.

It knows nothing about finance on purpose; the eval runs it next to the scorer under test so the
gain is measured on the same data, on the same machine, in the same run.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from importlib import metadata

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from tickerpulse.scoring.base import BatchResult, PostToScore, score_each_post


def _vader_version() -> str:
    try:
        return metadata.version("vaderSentiment")
    except metadata.PackageNotFoundError:
        return "unknown"


class VaderScorer:
    name = "vader"
    model: str | None = None
    prompt_version: str | None = None

    def __init__(self) -> None:
        self.version = f"vader-{_vader_version()}"
        self._analyzer = SentimentIntensityAnalyzer()

    def score_text(self, text: str | None) -> tuple[float, str]:
        if not isinstance(text, str) or not text.strip():
            return 0.0, "empty text"
        compound = self._analyzer.polarity_scores(text)["compound"]
        score = 0.0 if math.isnan(compound) else max(-1.0, min(1.0, float(compound)))
        return score, f"VADER compound {score:+.3f}"

    def score_batch(self, posts: Sequence[PostToScore]) -> BatchResult:
        return score_each_post(posts, self.score_text)
