"""Options intent: does a mention talk calls or puts, at which strike and expiry, buying or selling?

Quiver, Stocksera and SwaggyStocks show calls against puts and a put/call ratio next to
sentiment, because on r/wallstreetbets an option is the strongest statement of direction a post
can make. Reddit writes them loosely: "150c", "3/19 40p", "$16 calls", "a put", "covered calls",
and just as often uses the same words for something else ("margin call", "earnings call", "put
money in", "sold at 3p", "for 69c" in cents). So a phrase counts only in a form that is an option:

* shorthand: a number glued to c/p ("150c", "$402p", "21.5 c", "5c's"), not after "at"/"for"
  (a time, a price in cents);
* "calls"/"puts", unless a non-option noun precedes ("margin calls", "phone calls") or a verb
  reading fits ("it puts us", "puts on a song");
* "call"/"put" singular only where a noun reading is certain: after a determiner, number, strike
  or ticker ("a put", "my AAPL call", "1000 strike put"), before "option"/"spread"/"contract", or
  paired ("a call or put").

Strike and expiry are taken from the phrase and the words around it ("$16 calls", "calls @ 126",
"1/15/21 $16 calls", "Feb 19 $144c"); a date without a year is the next one on or after the day
the post was written. Buying or selling is read from the verbs of the same clause (bought, yolo'd,
sold, wrote, covered calls, paper handed) and left empty when the clause has both or negates them.

A phrase belongs to the ticker written nearest to it; in a post about one ticker, to that ticker.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

Side = str  # "call" | "put"

_MONTHS = {
    m: i
    for i, names in enumerate(
        (
            "jan january",
            "feb february",
            "mar march",
            "apr april",
            "may",
            "jun june",
            "jul july",
            "aug august",
            "sep sept september",
            "oct october",
            "nov november",
            "dec december",
        ),
        start=1,
    )
    for m in names.split()
}
_MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))
_NUM = r"\d{1,5}(?:\.\d{1,2})?"

# "150c", "$402p", "21.5 c", "5c's", "85C"; not "3pm", "p/l", "10%".
_SHORTHAND = re.compile(rf"(?<![\w.$/])\$?({_NUM})\s?([cCpP])(?:'?s)?(?![\w%]|/[lL]\b|\.\w)")
_WORD = re.compile(r"(?i)\b(call|put)(s)?\b")
_SINGULAR_BEFORE = re.compile(
    r"(?i)(?:\b(?:a|an|the|my|this|that|one|your|his|her|our|their|those|these|each|per|every|"
    r"single|buy|buying|bought|sell|selling|sold|long|short|covered|naked|otm|itm|atm|deep|"
    r"strike|weekly|monthly|leap|leaps|cheap|expired|expiring|0dte|fd)\s+|\$?\d[\d.,kK]*\s*|"
    r"\b[A-Z]{1,5}\s+)$"
)
_SINGULAR_AFTER = re.compile(r"(?i)^\s*(?:options?|spreads?|contracts?|credit|debit|side|leaps?)\b")
_PAIR = re.compile(r"(?i)\b(?:calls?\s*(?:/|or|and|&)\s*puts?|puts?\s*(?:/|or|and|&)\s*calls?)\b")
# Words before "call(s)" that make it something else.
_CALL_NOT_OPTION = re.compile(
    r"(?i)\b(?:margin|earnings|conference|phone|video|zoom|mating|close|hard|good|bad|great|"
    r"tough|judgment|judgement|wake[- ]?up|roll|cold|conf|investor|analyst|the)\s*$"
)
_CALL_NOT_OPTION_AFTER = re.compile(r"(?i)^\s*(?:of duty|it\b|this\b|me\b|him\b|them\b|out\b)")
_VERB_SUBJECT = re.compile(
    r"(?i)\b(?:i|we|you|they|he|she|it|that|this|which|who|to|will|would|could|can|should|"
    r"must|might|just|gonna|'ll|let's|lets|may|also|pls|please|don't|didn't|never|and)\s*$"
)
_CALL_SUBJECT = re.compile(
    r"(?i)\b(?:i|we|you|they|he|she|to|will|would|could|can|should|must|might|just|gonna|'ll|"
    r"let's|lets|may|also|pls|please|don't|didn't|never)\s*$"
)
_PUT_VERB_AFTER = re.compile(
    r"(?i)^\s*(?:in|into|on|it|out|together|me|us|him|them|all|up|down|my|your|our|their|"
    r"some|more|a\s+(?:for|clock|lot|stop)|\d+k?\s+(?:in|into))\b"
)
_NUM_BEFORE_WORD = re.compile(rf"(?i)(?:\$({_NUM})|({_NUM})\s*(?:dollar|usd|\$))\s*(?:strike\s*)?$")
_STRIKE_AT = re.compile(rf"(?i)^\s*(?:@|at)\s*\$?({_NUM})\b(?!\s*(?:am|pm|%))")
_STRIKE_WORD = re.compile(
    rf"(?i)(?:\bstrike(?:\s+price)?(?:\s+(?:of|at|is))?\s*\$?({_NUM})\b|\$?({_NUM})\s*strike\b)"
)
_DATE_MDY = re.compile(r"(?<![\d/$.])(\d{1,2})/(\d{1,2})(?:/(\d{4}|\d{2}))?(?![\d/%])")
_DATE_DMONY = re.compile(rf"(?i)\b(\d{{1,2}})/({_MONTH_RE})/(\d{{2}}|\d{{4}})\b")
_DATE_MONTH_DAY = re.compile(
    rf"(?i)\b({_MONTH_RE})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?!\s*(?:k|%|dollars?|shares?|"
    rf"calls?|puts?|contracts?))(?:,?\s*('\d{{2}}|\d{{4}}))?"
)
_BUY = re.compile(
    r"(?i)\b(?:buy|buying|buys|bought|grab|grabbed|grabbing|load(?:ed|ing)?\s+up|yolo'?d|"
    r"yoloing|picked\s+up|pick\s+up|get\s+(?:ur|your|some)|got\s+in|in\s+at|jump(?:ed)?\s+into|"
    r"dropping|long|go\s+long|playing|get\s+in)\b"
)
_SELL = re.compile(
    r"(?i)\b(?:sell|selling|sells|sold|wrote|write|writing|covered|paper\s*hand(?:ed|ing|s)?|"
    r"took\s+profits?|trimmed|shorted|stop\s+out|closed|cash[- ]secured|naked)\b"
)
_NEGATION = re.compile(
    r"(?i)(?:n't|\bnot|\bnever|\binstead\s+of|\bshould\s+have|\bshould've|\bwould\s+have|"
    r"\bcouldn't|\bcan't)\s+(?:\w+\s+)?$"
)
_CLAUSE_END = re.compile(r"[.!?;\n]|\s-\s|,\s")


@dataclass(frozen=True)
class Phrase:
    """One option in the text: where it is, its side, and what was written around it."""

    start: int
    end: int
    side: Side
    strike: float | None
    expiry: date | None
    action: str | None


@dataclass(frozen=True)
class OptionIntent:
    side: str | None  # call | put | both
    strike: float | None
    expiry: date | None
    action: str | None  # buy | sell

    def as_row(self) -> dict[str, object]:
        """The post_sentiment columns (sql/050_options_intent.sql)."""
        return {
            "option_side": self.side,
            "option_strike": self.strike,
            "option_expiry": self.expiry,
            "option_action": self.action,
        }


NO_INTENT = OptionIntent(None, None, None, None)
OPTION_COLUMNS = ["option_side", "option_strike", "option_expiry", "option_action"]


MAX_CHARS = 20_000  # options talk is in the first screenfuls; a 100 KB paste is not read whole
MAX_PHRASES = 200


def phrases(text: str, posted: datetime | date | None = None) -> list[Phrase]:
    """Every option phrase of the text, in order (of its first MAX_CHARS characters, at most
    MAX_PHRASES phrases: the work per post stays bounded whatever it holds)."""
    if not isinstance(text, str) or not text:
        return []
    text = text[:MAX_CHARS]
    found: list[Phrase] = []
    taken: list[range] = []
    for m in itertools.islice(_SHORTHAND.finditer(text), MAX_PHRASES):
        before = text[max(0, m.start() - 6) : m.start()].lower()
        if re.search(r"(?:\bat|\bfor|@)\s*$", before):
            continue  # "at 3p" is a time, "for 69c" a price
        side = "call" if m.group(2).lower() == "c" else "put"
        strike = float(m.group(1))
        found.append(_phrase(text, m.start(), m.end(), side, strike, posted))
        taken.append(range(m.start(), m.end()))
    for m in itertools.islice(_PAIR.finditer(text), MAX_PHRASES):
        for side in ("call", "put"):
            found.append(_phrase(text, m.start(), m.end(), side, None, posted))
        taken.append(range(m.start(), m.end()))
    words = 0
    for m in _WORD.finditer(text):
        if words >= MAX_PHRASES:
            break
        if any(m.start() in span for span in taken):
            continue
        word, plural = m.group(1).lower(), bool(m.group(2))
        if not _is_option_word(text, m.start(), m.end(), word, plural):
            continue
        near = _strike_near(text, m.start(), m.end())
        found.append(_phrase(text, m.start(), m.end(), word, near, posted))
        words += 1
    found.sort(key=lambda p: (p.start, p.side))
    return found[:MAX_PHRASES]


def _is_option_word(text: str, start: int, end: int, word: str, plural: bool) -> bool:
    before, after = text[max(0, start - 40) : start], text[end : end + 30]
    if word == "call":
        if plural:
            return not re.search(
                r"(?i)\b(?:make|making|made|take|took|taking|return|margin|phone|earnings|"
                r"conference|video|zoom)\s*$",
                before,
            )
        if _SINGULAR_AFTER.match(after):
            return True
        if _CALL_NOT_OPTION.search(before) or _CALL_NOT_OPTION_AFTER.match(after):
            return False
        return bool(_SINGULAR_BEFORE.search(before)) and not _CALL_SUBJECT.search(before)
    # put
    if plural:
        if re.search(r"(?i)\b(?:it|that|this|which|who|he|she|and|also)\s*$", before):
            return False
        if re.match(
            r"(?i)^\s*(?:\$?\d|a\b|an\b|all\b|in\b|it\b|out\b|up\b|them\b|me\b|us\b|"
            r"together\b)",
            after,
        ) and re.search(
            r"(?<![\w$])(?!(?:ur|your|my|his|her|our|their|the|those|these|some|"
            r"get|buy|bought)\b)[a-z]+\s*$",
            before,
        ):
            return False  # "an institution puts 1 million in", not "NFLX puts 1k", "ur puts in"
        return not re.match(r"(?i)^\s*on\s+(?:ur|your|my|his|her|their|our|wont|won't)\b", after)
    if _SINGULAR_AFTER.match(after):
        return True
    if _VERB_SUBJECT.search(before) or _PUT_VERB_AFTER.match(after):
        return False
    return bool(_SINGULAR_BEFORE.search(before))


def _strike_near(text: str, start: int, end: int) -> float | None:
    before = text[max(0, start - 20) : start]
    m = _NUM_BEFORE_WORD.search(before)
    if m:
        return float(m.group(1) or m.group(2))
    m = _STRIKE_AT.match(text[end : end + 16])
    if m:
        return float(m.group(1))
    clause = _clause(text, start, end)
    m = _STRIKE_WORD.search(clause)
    if m:
        return float(m.group(1) or m.group(2))
    return None


def _clause(text: str, start: int, end: int) -> str:
    """The text around a phrase up to the nearest sentence or clause breaks."""
    left = text[max(0, start - 60) : start]
    cuts = list(_CLAUSE_END.finditer(left))
    lo = start - len(left) + (cuts[-1].end() if cuts else 0)
    right = text[end : end + 60]
    cut = _CLAUSE_END.search(right)
    hi = end + (cut.start() if cut else len(right))
    return text[lo:hi]


def _phrase(
    text: str,
    start: int,
    end: int,
    side: Side,
    strike: float | None,
    posted: datetime | date | None,
) -> Phrase:
    clause = _clause(text, start, end)
    offset = text.find(clause, max(0, start - 60))
    return Phrase(
        start,
        end,
        side,
        strike,
        _expiry(clause, posted),
        _action(clause, start - offset, side, text[max(0, start - 12) : start + 12]),
    )


def _action(clause: str, at: int, side: Side, around: str) -> str | None:
    if re.search(r"(?i)\bcovered\s+calls?\b|\bcsps?\b|cash[- ]secured", around):
        return "sell"
    buys = [m for m in _BUY.finditer(clause) if not _NEGATION.search(clause[: m.start()])]
    sells = [m for m in _SELL.finditer(clause) if not _NEGATION.search(clause[: m.start()])]
    if buys and not sells:
        return "buy"
    if sells and not buys:
        return "sell"
    return None


def _year_for(month: int, day: int, posted: datetime | date | None) -> date | None:
    if posted is None:
        return None
    base = posted.date() if isinstance(posted, datetime) else posted
    for year in (base.year, base.year + 1):
        try:
            candidate = date(year, month, day)
        except ValueError:
            return None
        if candidate >= base:
            return candidate
    return None


def _full_year(raw: str) -> int:
    raw = raw.lstrip("'")
    return int(raw) + 2000 if len(raw) == 2 else int(raw)


def _expiry(clause: str, posted: datetime | date | None) -> date | None:
    m = _DATE_DMONY.search(clause)
    if m:
        try:
            return date(_full_year(m.group(3)), _MONTHS[m.group(2).lower()], int(m.group(1)))
        except ValueError:
            return None
    for m in _DATE_MDY.finditer(clause):
        first, second, year = int(m.group(1)), int(m.group(2)), m.group(3)
        month, day = (first, second) if first <= 12 else (second, first)  # 16/01/2021 is d/m
        if not (1 <= month <= 12 and 1 <= day <= 31):
            continue
        if year:
            try:
                return date(_full_year(year), month, day)
            except ValueError:
                continue
        return _year_for(month, day, posted)
    m = _DATE_MONTH_DAY.search(clause)
    if m:
        month, day = _MONTHS[m.group(1).lower()], int(m.group(2))
        if not 1 <= day <= 31:
            return None
        if m.group(3):
            try:
                return date(_full_year(m.group(3)), month, day)
            except ValueError:
                return None
        return _year_for(month, day, posted)
    return None


def _ticker_positions(text: str, ticker: str) -> list[tuple[int, int, str]]:
    """(start, end, ticker) of each place the symbol is written (the first MAX_PHRASES);
    case-blind from three letters on, so "pltr" counts and the "m" of "I'm" is not M."""
    flags = re.IGNORECASE if len(ticker) >= 3 else 0
    pattern = re.compile(rf"(?<![\w$])\$?{re.escape(ticker)}(?![\w])", flags)
    found = itertools.islice(pattern.finditer(text), MAX_PHRASES)
    return [(m.start(), m.end(), ticker) for m in found]


_SENTENCE_END = re.compile(r"[.!?\n]+\s")
_LIST_GAP = re.compile(r"(?i)^[\s,/&+]*(?:(?:and|or|vs\.?)[\s,/&+]*)?$")


def _sentence(breaks: list[tuple[int, int]], size: int, at: int) -> tuple[int, int]:
    """(start, end) of the sentence holding `at`, from the text's sentence breaks."""
    i = bisect.bisect_right(breaks, (at, size + 1))
    start = breaks[i - 1][1] if i and breaks[i - 1][1] <= at else 0
    later = [b for b in breaks[i - 1 if i else 0 : i + 1] if b[0] >= at]
    return start, later[0][0] if later else size


_ON_TICKER = re.compile(r"(?i)^\s*(?:on|in|for)\s+\$?([A-Za-z]{1,5})\b")


def _owner(
    phrase: Phrase,
    text: str,
    spots: list[tuple[int, int, str]],
    previous: set[str],
    breaks: list[tuple[int, int]],
) -> set[str]:
    """The tickers a phrase is about: the one it is "on" ("puts on AAPL"); else the nearest one
    written in its sentence; else the tickers of the phrase before it; else the nearest ticker
    before it, else after it. With the tickers listed together with that one ("Spy/QQQ puts",
    "GME, BA, FB")."""
    on = _ON_TICKER.match(text[phrase.end : phrase.end + 14])
    if on:
        named = {t for s, e, t in spots if s >= phrase.end and text[s:e].lstrip("$").upper()
                 == on.group(1).upper() and s - phrase.end <= 14}  # fmt: skip
        if named:
            return named
    lo, hi = _sentence(breaks, len(text), phrase.start)

    def distance(spot: tuple[int, int, str]) -> int:
        start, end, _ = spot
        return phrase.start - end if end <= phrase.start else start - phrase.end

    same = [s for s in spots if lo <= s[0] < hi]
    if not same and previous:
        return previous
    before = [s for s in spots if s[1] <= phrase.start]
    after = [s for s in spots if s[0] >= phrase.end]
    pool = same or before or after
    if not pool:
        return set()
    nearest = min(pool, key=lambda s: (distance(s), s[0] > phrase.start))
    ordered = sorted(spots)
    i = ordered.index(nearest)
    group = {nearest[2]}
    j = i
    while j > 0 and _LIST_GAP.match(text[ordered[j - 1][1] : ordered[j][0]]):
        j -= 1
        group.add(ordered[j][2])
    j = i
    while j + 1 < len(ordered) and _LIST_GAP.match(text[ordered[j][1] : ordered[j + 1][0]]):
        j += 1
        group.add(ordered[j][2])
    return group


def attribute(
    found: Sequence[Phrase], text: str, ticker: str, tickers: Sequence[str]
) -> list[Phrase]:
    """The phrases that belong to `ticker` among the post's `tickers` (see `_owner`); when no
    ticker of the post is written out as a symbol (named by company name only), or the post has
    one ticker, every phrase is the ticker's."""
    names = list(dict.fromkeys([ticker, *tickers]))
    if len(names) == 1:
        return list(found)
    text = text[:MAX_CHARS]
    spots = sorted(s for t in names for s in _ticker_positions(text, t))[:MAX_PHRASES]
    if not spots:
        return list(found)
    breaks = [(m.start(), m.end()) for m in _SENTENCE_END.finditer(text)]
    mine: list[Phrase] = []
    previous: set[str] = set()
    for phrase in found:
        previous = _owner(phrase, text, spots, previous, breaks)
        if ticker in previous:
            mine.append(phrase)
    return mine


def intent(
    text: str,
    ticker: str,
    tickers: Sequence[str] = (),
    posted: datetime | date | None = None,
) -> OptionIntent:
    """What the mention of `ticker` in `text` says about options on it."""
    mine = attribute(phrases(text, posted), text, ticker, tickers or [ticker])
    if not mine:
        return NO_INTENT
    sides = {p.side for p in mine}
    return OptionIntent(
        "both" if len(sides) == 2 else sides.pop(),
        next((p.strike for p in mine if p.strike is not None), None),
        next((p.expiry for p in mine if p.expiry is not None), None),
        next((p.action for p in mine if p.action is not None), None),
    )


def text_sides(text: str) -> set[Side]:
    """Whether a text talks calls, puts or both, whatever ticker they are on."""
    return {p.side for p in phrases(text)}
