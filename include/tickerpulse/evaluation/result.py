"""What one eval run measured: its own module so the runner, the report and the store all import it
without importing each other (they used to form an import cycle through this class).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tickerpulse.evaluation import metrics
from tickerpulse.evaluation.datasets import Example
from tickerpulse.evaluation.scorers import Prediction
from tickerpulse.scoring.base import label_for


@dataclass(frozen=True)
class EvalResult:
    dataset_name: str
    dataset_sha256: str
    scorer: str
    scorer_version: str
    model: str | None
    prompt_version: str | None
    n: int
    classification: metrics.Classification
    pearson: float | None
    spearman: float | None
    cosine: float | None
    texts_per_sec: float
    unscored: int
    started_at: datetime
    examples: tuple[Example, ...]
    predictions: tuple[Prediction, ...]
    report_path: str | None = None

    @property
    def accuracy(self) -> float:
        return self.classification.accuracy

    @property
    def macro_f1(self) -> float:
        return self.classification.macro_f1

    def misclassified(self) -> list[tuple[Example, Prediction, str]]:
        """(example, prediction, predicted label) where the label disagrees with the gold."""
        out = []
        for example, prediction in zip(self.examples, self.predictions, strict=True):
            predicted = label_for(prediction.score or 0.0)
            if predicted != example.label:
                out.append((example, prediction, predicted))
        return out
