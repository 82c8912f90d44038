"""The scorer that needs no network: finance rules over a finance + WallStreetBets lexicon.

Generic sentiment (VADER) reads mood, but the price cares about direction: "good time to sell"
is bearish, "operating loss narrowed" is bullish, "net sales totalled EUR 5 mn" is neither. So
this scorer works in three steps, all of them table lookups and short regexes (no model, no
download, thousands of texts a second on one core):

1. A phrase pass rewrites multi-word finance language ("buying puts", "short squeeze",
   "compared to a loss", "will cut 200 jobs", 🌈🐻) into single synthetic tokens.
2. Each segment (sentence or line) is tokenised; a direction word ("rose", "fell", "higher")
   takes its sign from the metric it is bound to, so a falling cost is good news and a falling
   profit bad; a result compared with an earlier number gets the sign of the change. Negation,
   intensifiers, "but" and questions modify what they touch, as in VADER.
3. Mood words from VADER's general lexicon count for less, and for much less when the text
   states a trade (buy/sell, calls/puts): then the trade says which way the writer expects the
   price to go. Segments are summed and squashed to [-1, 1], so a long post is read whole rather
   than cut at a fixed length.

It scores the post, not each ticker: every ticker of a post gets the same score.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from tickerpulse.scoring import finance_lexicon as lex
from tickerpulse.scoring.base import BatchResult, PostToScore, score_each_post

VERSION = "lexicon-v2"
MAX_CUES = 3
ALPHA = 15.0  # squashing constant: total / sqrt(total^2 + ALPHA), VADER's choice
NEGATION_SCALAR = -0.74
NEGATION_WINDOW = 3
BOOST = 1.3
DAMPEN = 0.6
CAPS_BOOST = 1.2
BEFORE_BUT, AFTER_BUT = 0.5, 1.5
QUESTION_DAMPING = 0.5
BIND_ATTRIBUTIVE = 3  # "higher raw material costs"
BIND_SUBJECT = 8  # "operating profit excluding one-offs rose"
BIND_OBJECT = 6  # "an increase in net sales", "cut 50 jobs"
COMPARE_VALENCE = 2.0

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u00b4": "'"})
_SEGMENT = re.compile(r"(?<=[.!?])\s+|\n+")
_TOKEN = re.compile(r"[A-Za-z$][A-Za-z0-9$'\-]*|\d+(?:[.,]\d+)*|[^\x00-\x7f\s]|[?!,;:()]")
_BUT = frozenset({"but", "however", "though", "although", "yet"})
_FORWARD_STOP = frozenset({"to", "by", "from", "in", "of", "at", "than", "on", "for"})
_NUMBER = r"(\d+(?:[.,]\d+)?)"
# "A ... compared to|versus|from ... B", and the report style "EUR 105.8 ( 83.4 )".
_COMPARE = re.compile(
    rf"{_NUMBER}\s*(?:%|pct|percent|per\s+cent|[a-z€$£]{{0,4}})?[^\d.;?!]{{0,40}}?"
    rf"\b(?:compared\s+(?:to|with)|versus|vs\.?|against|as\s+against|from)\s+"
    rf"(?:[a-z'€$£]+\s+){{0,6}}?[a-z€$£]{{0,4}}\s*{_NUMBER}"
    rf"|{_NUMBER}\s*(?:mn|m|million|bn|billion|%)?\s*\(\s*{_NUMBER}\s*\)"
)
_YEAR = re.compile(r"^(?:19|20)\d\d$")


@dataclass(frozen=True)
class _Entry:
    """What one token means to the rules."""

    valence: float = 0.0
    cue: str = ""
    general: bool = False  # from VADER's general lexicon: mood, not market
    direction: int = 0  # +1 up, -1 down; the sign comes from the bound metric
    metric: int = 0  # +1 more is good, -1 more is bad
    intent: bool = False  # a trade: buy/sell, calls/puts


def _emoji_valences(analyzer: SentimentIntensityAnalyzer) -> dict[str, float]:
    """VADER describes emoji in words; the valence of an emoji is that of its description."""
    out: dict[str, float] = {}
    for emoji, description in analyzer.emojis.items():
        if len(emoji) != 1:
            continue
        words = description.lower().split()
        value = sum(analyzer.lexicon.get(w, 0.0) for w in words)
        if value:
            out[emoji] = max(-3.0, min(3.0, value))
    return out


def _build_table() -> dict[str, _Entry]:
    analyzer = SentimentIntensityAnalyzer()
    table: dict[str, _Entry] = {}
    for word, value in analyzer.lexicon.items():
        if word not in lex.NEUTRAL_IN_FINANCE and " " not in word:
            table[word] = _Entry(value, word, general=True)
    for emoji, value in _emoji_valences(analyzer).items():
        table[emoji] = _Entry(value, emoji, general=True)
    for word in lex.NEUTRAL_IN_FINANCE:
        table.pop(word, None)
    for word, value in {**lex.NEWS_WORDS, **lex.WORDS}.items():
        table[word] = _Entry(value, word)
    for phrase in (*lex.NEWS_PHRASES, *lex.PHRASES):
        table[phrase.token] = _Entry(phrase.valence, phrase.cue)
    for metrics, polarity in ((lex.GOOD_METRICS, 1), (lex.BAD_METRICS, -1)):
        for word in metrics:
            old = table.get(word, _Entry(cue=word))
            valence = 0.0 if old.general else old.valence
            table[word] = _Entry(valence, old.cue or word, metric=polarity)
    for words, sign in ((lex.UP, 1), (lex.DOWN, -1)):
        for word in words:
            old = table.get(word, _Entry(cue=word))
            valence = abs(old.valence) if word.startswith("tp") else lex.UNBOUND_DIRECTION_VALENCE
            table[word] = _Entry(valence or lex.UNBOUND_DIRECTION_VALENCE, old.cue, direction=sign)
    for word in lex.INTENT:
        found = table.get(word)
        if found is not None:
            table[word] = _Entry(found.valence, found.cue, intent=True)
    return table


class OfflineScorer:
    name = "offline"
    version = VERSION
    model: str | None = None
    prompt_version: str | None = None

    def __init__(self) -> None:
        # Building the table parses VADER's lexicon files: do it once, not per post.
        self._table = _build_table()
        phrases = (*lex.NEWS_PHRASES, *lex.PHRASES)
        self._phrase_re = re.compile(
            "|".join(f"(?P<p{i}>{p.pattern})" for i, p in enumerate(phrases)), re.IGNORECASE
        )
        self._phrase_tokens = {f"p{i}": p.token for i, p in enumerate(phrases)}

    # --- public -------------------------------------------------------------------------------

    def score_text(self, text: str | None) -> tuple[float, str]:
        """(score in [-1, 1], reasoning naming the strongest cues) for one text."""
        if not isinstance(text, str) or not text.strip():
            return 0.0, "empty text"
        text = text.translate(_APOSTROPHES)
        shouting = sum(c.isupper() for c in text) > 0.6 * sum(c.isalpha() for c in text)
        market = 0.0
        mood = 0.0
        intent = False
        cues: dict[str, float] = {}
        for segment in _SEGMENT.split(text):
            if segment:
                m, g, i = self._score_segment(segment, shouting, cues)
                market += m
                mood += g
                intent = intent or i
        weight = lex.GENERAL_WEIGHT_WITH_INTENT if intent else lex.GENERAL_WEIGHT
        total = market + weight * mood
        score = 0.0 if total == 0 else total / math.sqrt(total * total + ALPHA)
        strongest = sorted(cues.items(), key=lambda kv: -abs(kv[1]))[:MAX_CUES]
        if not strongest or score == 0.0:
            return 0.0, "no sentiment cues"
        named = ", ".join(f"{'+' if v > 0 else '-'}{cue}" for cue, v in strongest)
        return max(-1.0, min(1.0, score)), "cues: " + named

    def score_batch(self, posts: Sequence[PostToScore]) -> BatchResult:
        return score_each_post(posts, self.score_text)

    # --- rules --------------------------------------------------------------------------------

    def _rewrite(self, text: str) -> str:
        return self._phrase_re.sub(lambda m: f" {self._phrase_tokens[m.lastgroup or '']} ", text)

    def _score_segment(
        self, segment: str, shouting: bool, cues: dict[str, float]
    ) -> tuple[float, float, bool]:
        """(market sum, mood sum, states a trade) for one sentence or line."""
        rewritten = self._rewrite(segment)
        originals = _TOKEN.findall(rewritten)
        words = [t.lower() for t in originals]
        table = self._table
        entries = [table.get(w) for w in words]
        if not any(entries):
            return 0.0, 0.0, False
        n = len(words)
        consumed: set[int] = set()
        values: list[tuple[int, float, str, bool]] = []  # (index, value, cue, general)
        intent = False
        bound_any = False
        for i, entry in enumerate(entries):
            if entry is None:
                continue
            if entry.direction:
                j = self._bind(words, entries, i)
                if j is not None:
                    consumed.add(j)
                    bound_any = True
                    value = lex.DIRECTION_VALENCE * entry.direction * entries[j].metric  # type: ignore[union-attr]
                    cue = f"{words[j]} {entry.cue if entry.cue.isalpha() else words[i]}"
                else:
                    value = entry.valence * entry.direction
                    cue = entry.cue
                values.append((i, value, cue, False))
            elif entry.valence:
                values.append((i, entry.valence, entry.cue, entry.general))
            intent = intent or entry.intent
        if not bound_any:
            compared = self._compare(rewritten, words, entries)
            if compared:
                values.append((n, compared[0], compared[1], False))
        but_at = max((i for i, w in enumerate(words) if w in _BUT), default=-1)
        question = QUESTION_DAMPING if "?" in words else 1.0
        market = mood = 0.0
        for i, value, cue, general in values:
            if i in consumed:
                continue
            value *= self._modifier(words, originals, i, shouting)
            if but_at >= 0:
                value *= AFTER_BUT if i > but_at else BEFORE_BUT
            value *= question
            if general:
                mood += value
            else:
                market += value
            if abs(value) > abs(cues.get(cue, 0.0)):
                cues[cue] = value
        return market, mood, intent

    @staticmethod
    def _modifier(words: list[str], originals: list[str], i: int, shouting: bool) -> float:
        if i >= len(words):
            return 1.0
        factor = 1.0
        for k in range(i - 1, max(-1, i - 1 - NEGATION_WINDOW), -1):
            if words[k] in lex.CLAUSE_BREAKS:
                break
            if words[k] in lex.NEGATORS:
                factor *= NEGATION_SCALAR
                break
        if i > 0:
            if words[i - 1] in lex.BOOSTERS:
                factor *= BOOST
            elif words[i - 1] in lex.DAMPENERS:
                factor *= DAMPEN
        original = originals[i]
        if not shouting and len(original) > 1 and original.isupper():
            factor *= CAPS_BOOST
        return factor

    @staticmethod
    def _bind(words: list[str], entries: list[_Entry | None], i: int) -> int | None:
        """The metric a direction word talks about, or None when it names none."""
        n = len(words)
        for j in range(i + 1, min(n, i + 1 + BIND_ATTRIBUTIVE)):
            if words[j] in lex.CLAUSE_BREAKS or words[j] in _FORWARD_STOP:
                break
            entry = entries[j]
            if entry is not None and entry.metric:
                return j
        first = None
        for j in range(i - 1, max(-1, i - 1 - BIND_SUBJECT), -1):
            if words[j] in lex.CLAUSE_BREAKS:
                break
            entry = entries[j]
            if entry is not None and entry.metric:
                first = j
        if first is not None:
            return first
        for j in range(i + 1, min(n, i + 1 + BIND_OBJECT)):
            if words[j] in lex.CLAUSE_BREAKS:
                break
            entry = entries[j]
            if entry is not None and entry.metric:
                return j
        return None

    @staticmethod
    def _compare(
        rewritten: str, words: list[str], entries: list[_Entry | None]
    ) -> tuple[float, str] | None:
        """A metric reported next to an earlier figure: "EPS EUR 0.25 versus EUR 0.42"."""
        metric = next((e for e in entries if e is not None and e.metric), None)
        if metric is None:
            return None
        match = _COMPARE.search(rewritten.lower())
        if match is None:
            return None
        groups = [g for g in match.groups() if g is not None]
        now, before = (_to_number(g) for g in groups[:2])
        if now is None or before is None or now == before:
            return None
        if _YEAR.match(groups[0]) or _YEAR.match(groups[1]):
            return None
        sign = (1 if now > before else -1) * metric.metric
        return sign * COMPARE_VALENCE, f"{metric.cue} {'up' if now > before else 'down'} vs. before"


def _to_number(raw: str) -> float | None:
    cleaned = raw.replace(",", ".") if raw.count(",") == 1 and "." not in raw else raw
    cleaned = cleaned.replace(",", "")
    try:
        return float(cleaned)
    except ValueError:
        return None
