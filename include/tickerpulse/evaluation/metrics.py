"""Agreement between gold and predicted sentiment: three-way classification and, for continuous
gold, correlation. Plain Python so the numbers can be checked by hand on tiny examples.

Macro-F1 averages the classes without weighting by size, so a scorer that calls everything
"neutral" on a mostly neutral set scores a high accuracy but a low macro-F1.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from tickerpulse.evaluation.datasets import LABELS


@dataclass(frozen=True)
class ClassMetrics:
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class Classification:
    accuracy: float
    macro_f1: float
    per_class: dict[str, ClassMetrics]
    confusion: dict[str, dict[str, int]]  # gold label -> predicted label -> count


def classify(
    gold: Sequence[str], predicted: Sequence[str], labels: Sequence[str] = LABELS
) -> Classification:
    if len(gold) != len(predicted):
        raise ValueError("gold and predicted differ in length")
    if not gold:
        raise ValueError("nothing to measure")
    confusion = {g: {p: 0 for p in labels} for g in labels}
    for g, p in zip(gold, predicted, strict=True):
        confusion[g][p] += 1
    per_class: dict[str, ClassMetrics] = {}
    for label in labels:
        tp = confusion[label][label]
        predicted_n = sum(confusion[g][label] for g in labels)
        support = sum(confusion[label].values())
        precision = tp / predicted_n if predicted_n else 0.0
        recall = tp / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[label] = ClassMetrics(precision, recall, f1, support)
    accuracy = sum(confusion[c][c] for c in labels) / len(gold)
    present = [c for c in labels if per_class[c].support or sum(confusion[g][c] for g in labels)]
    macro_f1 = sum(per_class[c].f1 for c in present) / len(present)
    return Classification(accuracy, macro_f1, per_class, confusion)


def pearson(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """None when either side is constant (the correlation is undefined)."""
    n = len(xs)
    if n != len(ys) or n < 2:
        return None
    mx, my = sum(xs) / n, sum(ys) / n
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx == 0 or syy == 0:
        return None
    return sxy / math.sqrt(sxx * syy)


def ranks(values: Sequence[float]) -> list[float]:
    """1-based ranks; ties share the mean of the ranks they span."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    out = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        mean_rank = (i + j) / 2 + 1
        for k in range(i, j + 1):
            out[order[k]] = mean_rank
        i = j + 1
    return out


def spearman(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    return pearson(ranks(xs), ranks(ys))


def cosine(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """SemEval-2017 task 5's measure: the angle between the gold and predicted score vectors."""
    if len(xs) != len(ys) or not xs:
        return None
    nx = math.sqrt(sum(x * x for x in xs))
    ny = math.sqrt(sum(y * y for y in ys))
    if nx == 0 or ny == 0:
        return None
    return sum(x * y for x, y in zip(xs, ys, strict=True)) / (nx * ny)
