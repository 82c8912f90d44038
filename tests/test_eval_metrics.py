"""Metrics on examples small enough to compute by hand."""

from __future__ import annotations

import math

import pytest

from tickerpulse.evaluation.metrics import classify, cosine, pearson, ranks, spearman


def test_classification_by_hand() -> None:
    gold = ["bullish", "bullish", "bearish", "neutral", "neutral", "neutral"]
    pred = ["bullish", "neutral", "bearish", "neutral", "bullish", "neutral"]
    c = classify(gold, pred)
    assert c.accuracy == pytest.approx(4 / 6)
    # bullish: tp 1, predicted 2, support 2 -> P 1/2, R 1/2, F1 1/2
    # bearish: tp 1, predicted 1, support 1 -> 1, 1, 1
    # neutral: tp 2, predicted 3, support 3 -> P 2/3, R 2/3, F1 2/3
    assert c.per_class["bullish"].f1 == pytest.approx(0.5)
    assert c.per_class["bearish"].f1 == pytest.approx(1.0)
    assert c.per_class["neutral"].precision == pytest.approx(2 / 3)
    assert c.per_class["neutral"].support == 3
    assert c.macro_f1 == pytest.approx((0.5 + 1.0 + 2 / 3) / 3)
    assert c.confusion["bullish"] == {"bullish": 1, "bearish": 0, "neutral": 1}
    assert c.confusion["neutral"] == {"bullish": 1, "bearish": 0, "neutral": 2}


def test_all_neutral_scores_accuracy_but_not_macro_f1() -> None:
    gold = ["neutral"] * 8 + ["bullish", "bearish"]
    c = classify(gold, ["neutral"] * 10)
    assert c.accuracy == pytest.approx(0.8)
    # neutral F1 = 2*0.8*1/1.8; the two missed classes count as 0
    assert c.macro_f1 == pytest.approx((2 * 0.8 / 1.8) / 3)


def test_classify_refuses_mismatched_or_empty() -> None:
    with pytest.raises(ValueError):
        classify(["neutral"], [])
    with pytest.raises(ValueError):
        classify([], [])


def test_correlations_by_hand() -> None:
    xs, ys = [1.0, 2.0, 3.0], [2.0, 4.0, 7.0]
    # means 2 and 13/3; deviations (-1, 0, 1) and (-7/3, -1/3, 8/3)
    expected = (7 / 3 + 8 / 3) / math.sqrt(2 * (49 / 9 + 1 / 9 + 64 / 9))
    assert pearson(xs, ys) == pytest.approx(expected)
    assert spearman(xs, ys) == pytest.approx(1.0)
    assert spearman(xs, [3.0, 2.0, 1.0]) == pytest.approx(-1.0)
    assert cosine([1.0, 0.0], [0.0, 1.0]) == pytest.approx(0.0)
    assert cosine([0.5, -0.5], [0.2, -0.2]) == pytest.approx(1.0)
    assert cosine([1.0, 1.0], [1.0, 0.0]) == pytest.approx(1 / math.sqrt(2))


def test_ties_share_ranks_and_undefined_is_none() -> None:
    assert ranks([0.3, 0.1, 0.3, 0.2]) == [3.5, 1.0, 3.5, 2.0]
    assert pearson([1.0, 1.0, 1.0], [1.0, 2.0, 3.0]) is None
    assert cosine([0.0, 0.0], [1.0, 2.0]) is None
