"""The offline scorer: finance and WSB language VADER gets wrong, the rules, the contract, speed."""

from __future__ import annotations

import pytest
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from tickerpulse.scoring.base import BULLISH, NEUTRAL, PostToScore, Scorer, label_for
from tickerpulse.scoring.offline import OfflineScorer


@pytest.fixture(scope="module")
def scorer() -> OfflineScorer:
    return OfflineScorer()


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("good time to sell, we are about to make a ton of money", "bearish"),
        ("good time to sell, we'll make a ton of money", "bearish"),
        ("GME to the moon 🚀🚀", "bullish"),
        ("buying puts on TSLA", "bearish"),
        ("loaded up on calls", "bullish"),
        ("not selling, diamond hands 💎🙌", "bullish"),
        ("Tesla reported quarterly deliveries on Tuesday.", "neutral"),
        ("short squeeze is coming", "bullish"),
        ("taking profits today", "bearish"),
        ("RIP my portfolio, GME tanking 📉", "bearish"),
        ("🌈🐻 everywhere", "bearish"),
        ("AMC is going to zero, bagholders everywhere", "bearish"),
        ("NOT SELLING 💎🙌🏽", "bullish"),
        ("I bought 10 TSLA 300c calls", "bullish"),
        ("Bears getting wrecked, puts are worthless", "bullish"),
        ("my calls expired worthless", "bearish"),
        ("NVDA is down 8% today", "bearish"),
        ("$PLTR 🚀🚀🚀 tendies incoming", "bullish"),
        ("paper hands sold at the bottom lol", "bearish"),
        ("I'm a bagholder at $300, this is going to zero", "bearish"),
        ("bought the dip on AMD, loading more shares", "bullish"),
        ("sold all my shares of BB, I'm out", "bearish"),
        ("SPY puts printing today 📉", "bearish"),
        ("not selling my GME, HODL", "bullish"),
        ("bears r fucked, gamma squeeze tomorrow", "bullish"),
        ("I'm bearish on TSLA, going short", "bearish"),
        ("Very bullish on $AMD after earnings beat", "bullish"),
        ("this stock is not going to the moon, it is dead", "bearish"),
        ("Why are people so bullish on NIO?", "bullish"),
        ("Operating profit rose to EUR 13.1 mn from EUR 8.7 mn .", "bullish"),
        ("The company's net loss narrowed to EUR 2 mn .", "bullish"),
        ("Net sales decreased by 5 % to EUR 10 mn .", "bearish"),
        ("The company will cut 150 jobs in Finland .", "bearish"),
        ("Operating loss amounted to EUR 0.9 mn compared to a profit of EUR 0.5 mn .", "bearish"),
        ("EPS stood at EUR 0.25 versus EUR 0.42 .", "bearish"),
        ("Costs fell 10 % while sales grew .", "bullish"),
        ("The annual general meeting will be held on 5 April .", "neutral"),
    ],
)
def test_finance_language(scorer: OfflineScorer, text: str, label: str) -> None:
    score, _why = scorer.score_text(text)
    assert label_for(score) == label, (text, score, _why)


def test_plain_vader_gets_these_wrong() -> None:
    """The lexicon is not decoration: without it these come out the wrong way round or flat."""
    vader = SentimentIntensityAnalyzer()
    assert vader.polarity_scores("good time to sell, we'll make a ton of money")["compound"] > 0
    assert vader.polarity_scores("buying puts on TSLA")["compound"] == 0


def test_reasoning_names_the_strongest_cues(scorer: OfflineScorer) -> None:
    _score, why = scorer.score_text("GME to the moon 🚀 but my puts are fine")
    assert why.startswith("cues: ")
    assert "+to the moon" in why
    assert "+🚀" in why
    assert scorer.score_text("The meeting is on Tuesday.") == (0.0, "no sentiment cues")


@pytest.mark.parametrize("text", ["", "   ", None])
def test_empty_text_is_neutral_zero(scorer: OfflineScorer, text: str | None) -> None:
    assert scorer.score_text(text) == (0.0, "empty text")


def test_scores_are_clamped(scorer: OfflineScorer) -> None:
    score, _ = scorer.score_text("🚀" * 500 + " moon tendies bullish")
    assert 0.9 < score <= 1.0
    score, _ = scorer.score_text("📉" * 500 + " puts bearish rip")
    assert -1.0 <= score < -0.9


def test_scorer_protocol_and_batch(scorer: OfflineScorer) -> None:
    as_protocol: Scorer = scorer
    assert (as_protocol.name, as_protocol.version) == ("offline", "lexicon-v2")
    assert as_protocol.model is None
    assert as_protocol.prompt_version is None
    result = scorer.score_batch(
        [
            PostToScore("p1", "GME and AMC to the moon 🚀", ("GME", "AMC")),
            PostToScore("p2", "", ("TSLA",)),
            PostToScore("p3", "no ticker here", ()),
        ]
    )
    by_key = {(s.post_id, s.ticker): s for s in result.scores}
    assert set(by_key) == {("p1", "GME"), ("p1", "AMC"), ("p2", "TSLA")}
    assert by_key["p1", "GME"].score == by_key["p1", "AMC"].score > 0
    assert by_key["p1", "GME"].label == BULLISH
    assert (by_key["p2", "TSLA"].score, by_key["p2", "TSLA"].label) == (0.0, NEUTRAL)
    assert result.unscored == {"p3": "no tickers"}


def test_negation_flips_and_intensifiers_strengthen(scorer: OfflineScorer) -> None:
    plain, _ = scorer.score_text("AMD is bullish")
    boosted, _ = scorer.score_text("AMD is very bullish")
    negated, _ = scorer.score_text("AMD is not bullish")
    assert boosted > plain > 0 > negated


def test_a_question_says_less_than_a_statement(scorer: OfflineScorer) -> None:
    statement, _ = scorer.score_text("TSLA is going to the moon")
    question, _ = scorer.score_text("TSLA is going to the moon?")
    assert statement > question > 0


def test_intent_outweighs_mood(scorer: OfflineScorer) -> None:
    """A happy seller is still selling; mood words count far less next to a trade."""
    score, why = scorer.score_text("Feeling great, this was an amazing week. Time to cash out.")
    assert score < 0, why


def test_long_text_is_read_whole_not_cut(scorer: OfflineScorer) -> None:
    """Filler then the point at the very end: a fixed-length cut would miss the view."""
    filler = "I was reading the annual report and the footnotes about the board. " * 200
    score, why = scorer.score_text(filler + "Anyway, I bought puts, this is going to zero.")
    assert score < -0.3
    assert "to zero" in why
    two_sided, _ = scorer.score_text(filler + "Loaded up on calls. Also bought puts on SPY.")
    assert abs(two_sided) < 0.3
