"""Which tickers a post talks about.

Reddit writes tickers three ways: cashtags ($GME), bare upper-case symbols (GME) and company names
or nicknames (GameStop, "the mouse"). Cashtags and names are deliberate; a bare upper-case word is
often just a word (ON, ALL, DD, YOLO) or an abbreviation, so it needs the symbol list, a stop-list,
the symbol's ambiguity and, for ambiguous ones, a finance word nearby. Text written in capitals
would otherwise make every capitalised word look like a ticker, so shouting only trusts the
deliberate forms and unambiguous symbols.

`screen` adds time and place: a ticker counts only if its symbol was trading on the post's day
(HOOD did not exist before 2021-07-29), and a company-name alias may be ignored in a subreddit
where it names something else ("Robinhood" in r/robinhood is the broker's app, not the stock).
A mention dropped for either reason is returned with the reason, so the filter stage can count
it like every other drop.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from tickerpulse.symbols import (
    WORD_RE,
    SymbolTable,
    alias_key,
    canonical_symbol,
    normalise_word,
)

How = Literal["cashtag", "symbol", "alias"]

# Words and abbreviations that Reddit writes in capitals and that are also (or may become) listed
# symbols. A bare mention of these is never a ticker; a cashtag still is.
STOP_WORDS: frozenset[str] = frozenset(
    """
    A I AM AN AND ANY ARE AS AT BE BIG BUT BY CAN DO GO HAS HE HI IF IN IS IT ME MY NO NOT OF OH
    OK ON ONE OR OUT SO THE TO UP US WE ALL NOW NEW FOR REAL LOVE FUN TOP VERY BEST GOOD RUN SEE
    WELL PLAY OPEN CASH FREE KEY TRUE LIFE WORK HOME EVER NEXT BIT JUST LOW HIGH BIG EAT FAST
    DD YOLO CEO CFO CTO COO EV IMO IMHO USA ATH ATL IPO ETF ETFS OTM ITM ATM FD FDS PM AM UK EU TV
    LOL LMAO ROFL OMG WTF FYI BTW IIRC TLDR TL DR EDIT EOD EOW EOY YTD YOY QOQ AH PR ER EPS PE
    IV DTE PT TA FA RH SEC FED GDP CPI PPI FOMC IRS LLC INC CORP USD EUR GBP JPY CAD BTC ETH NFT
    WSB HODL FOMO MOON APE APES MOD MODS OP CC CSP RSI MACD EMA SMA VWAP NYSE AMEX IRA ROTH FDA
    TOS FAQ PSA NSFW AI ML API CEO IQ USSR GAIN LOSS BUY SELL HOLD PUT PUTS CALL CALLS LONG SHORT
    PUMP DUMP BEAR BULL RIP GUH FUD POS MOM DAD DOW SP ES NQ VIX Q OTC SPAC PDT DRS RRP QE LOI
    PST EST CST UTC GMT UI IG OI IP DM PS TT KC CNS JP USPS NASA NBA NFL GG TBH IDK SSR EU UN
    TD C EV EVS PC PS5 CNBC CNN BBC NYT WSJ GOAT MOASS ELI UK NAV AUM OCC SEO DIY RSS PPP GAAP FINRA
    """.split()
)

# Lower-case English words and Reddit slang that are also listed symbols (from the February 2021
# NASDAQ Trader directory). Written in capitals they are usually emphasis ("HOLD", "MOON",
# "BUY THE DIP"), so a bare mention needs a finance word right next to it; see
# `symbols_directory.default_ambiguity`. Symbols that WSB uses as tickers far more than as words
# (PLUG, WISH, GOLD) are not here.
COMMON_WORDS: frozenset[str] = frozenset(
    """
    age ago air all ally alot amp any apps are auto away band bar beat ben best big bill bio bit
    blue bob bond boom boss bout box bro bud bug cake calm can cap car care cars cash cat cent
    chad chi coke cold com core corp cost cow cry cure cut cuz dare deep def dew dial dig doc dog
    don doo door dude dug dust earn east eat echo edit else emo eod ever exp expo eye eyes fan
    farm fast fat fate fill fins five fix flex flow fly fold for form four free fun fund gain gem
    gene glad goat gogo good grid grow guru gut hack hail has hear herd hero hes hold home hook
    hope huge info ing ins ive jack jan job jobs just key keys kids lake land laws lazy lead leap
    leg lend life lit live loan loop love low mac main man mark mass max men met mid min mind
    mint moat mod mom moon must nail near nerd net new next nice nine nov now oil old one onto
    open opt out pace pack pays peak pen pets pick pie pill pin plan plat play plow plus pool
    post pro pros pump race rare real rec rev rice ride ring road robo rock rode roll roof run
    safe sand sats save seas see seed self she shi ship shop site six size sky son spot src star
    stay step stim sub sum sumo sun swan taco tags tail tap team tech tell ten term tho thy tip
    tops town tree trip true turn twin two txt unit ups usa usd very vox want wash wat well wen
    work wow wrap www yolo
    """.split()
)

# Finance words near an ambiguous bare symbol that make it likely to mean the ticker.
_CONTEXT_RE = re.compile(
    r"(?i)\b(?:calls?|puts?|shares?|stocks?|ticker|price[sd]?|pt|bought|buy(?:ing)?|sold|"
    r"sell(?:ing)?|short(?:ed|ing|s)?|long|earnings|options?|strike|position|dividends?|"
    r"bagholder|holding|squeeze|chart|market ?cap|valuation|bullish|bearish|ipo|all[ -]in|"
    r"moon(?:ing)?|leaps?|yolo'?d?|tendies|diamond hands?)\b|%|\$\d|"
    r"\b\d{1,2}/\d{1,2}\b|\b\d+(?:\.\d+)?[cp]\b|\bto \$?\d"
)
_CONTEXT_CHARS = 60  # how far either side of a bare symbol to look for a finance word

# $ followed by letters; $ followed by a digit is an amount of money, not a ticker.
_CASHTAG_RE = re.compile(r"(?<![\w$])\$([A-Za-z]{1,6}(?:[.\-/][A-Za-z]{1,2})?)(?![\w])")
# A whole upper-case word, not part of AT&T, pre-IPO or Amazon.COM; "GME's" still counts.
_BARE_RE = re.compile(
    r"(?<![\w$&.\-'’])([A-Z]{1,5}(?:\.[A-Z])?)(?![\w&$*])(?![\-.]\w)(?!['’](?![sS]\b)\w)"
)
# The same word in lower or title case ("gme", "Pltr"): only for symbols that are surely tickers
# (ambiguity >= LOWERCASE_MIN, with a known company name, so the big names rather than any of
# the directory's 9,000 obscure listings) and not words, and only with a finance word nearby.
_LOWER_WORD_RE = re.compile(r"(?<![\w$&.\-'’/])([A-Za-z]{3,5})(?![\w&$*/'’])(?![\-.]\w)")
LOWERCASE_MIN = 0.9
# Lower-case forms that are usually something else: "amd" is the commonest typo of "and".
LOWERCASE_EXCLUDED = frozenset({"amd"}) | COMMON_WORDS
# Single-word company names that are also ordinary words: they count only when capitalised
# mid-sentence-style ("Square", not "square one").
ALIASES_NEEDING_CAPITAL = frozenset(
    "square block snap meta coke carnival target oracle sundial upstart express lemonade "
    "rocket zoom vale corsair ford delta marathon riot".split()
)
_UPPER_RE = re.compile(r"[A-Z]")
_LOWER_RE = re.compile(r"[a-z]")

# Why a mention found in the text is dropped (besides symbols.NOT_YET_TRADING and
# symbols.NO_LONGER_TRADING): its only evidence was an alias the subreddit gives another meaning.
ALIAS_IGNORED = "alias_ignored_in_subreddit"

UNAMBIGUOUS = 0.9  # symbols at or above this count even in shouted text
NEEDS_CONTEXT_BELOW = 0.5  # symbols below this need a finance word nearby
NEEDS_TIGHT_CONTEXT_BELOW = 0.1  # words (LOVE, CAKE) and letters (F, U): a finance word adjacent
_TIGHT_CONTEXT_CHARS = 16


@dataclass(frozen=True)
class Mention:
    ticker: str
    how: How
    weight: float  # 1.0 for cashtags and names; the symbol's ambiguity for bare symbols


def is_shouting(text: str) -> bool:
    """Most letters upper-case, over at least three words ("GME" alone is not shouting)."""
    upper = len(_UPPER_RE.findall(text))
    if upper <= len(_LOWER_RE.findall(text)):
        return False
    return len(WORD_RE.findall(text)) >= 3


@dataclass(frozen=True)
class DroppedMention:
    ticker: str
    reason: str  # ALIAS_IGNORED, symbols.NOT_YET_TRADING or symbols.NO_LONGER_TRADING


@dataclass(frozen=True)
class Screened:
    kept: list[Mention]
    dropped: list[DroppedMention]


class TickerExtractor:
    def __init__(
        self, symbols: SymbolTable, ignored_aliases: Mapping[str, Iterable[str]] | None = None
    ) -> None:
        """`ignored_aliases`: per subreddit (any case), aliases that do not name the ticker."""
        self.symbols = symbols
        self._alias_first_words = {k.split()[0] for k in symbols.aliases}
        self._ignored = {
            subreddit.lower(): frozenset(alias_key(a) for a in aliases)
            for subreddit, aliases in (ignored_aliases or {}).items()
        }

    def extract(self, text: str) -> list[Mention]:
        """One mention per ticker, in order of first appearance, with its strongest evidence.

        A ticker seen several ways keeps the highest weight (a cashtag beats an ambiguous bare
        symbol), so downstream weighting sees one row per (post, ticker).
        """
        return self._extract(text, frozenset())[0]

    def screen(self, text: str, subreddit: str | None, at: datetime | None) -> Screened:
        """`extract` for a post of `subreddit` made at `at`: mentions whose symbol was not trading
        that day, or whose only evidence is an alias ignored in the subreddit, are dropped."""
        ignored = self._ignored.get((subreddit or "").lower(), frozenset())
        mentions, ignored_tickers = self._extract(text, ignored)
        kept: list[Mention] = []
        dropped: list[DroppedMention] = []
        for mention in mentions:
            symbol = self.symbols.get(mention.ticker)
            reason = symbol.not_trading_reason(at) if symbol is not None and at else None
            if reason is None:
                kept.append(mention)
            else:
                dropped.append(DroppedMention(mention.ticker, reason))
        found = {m.ticker for m in mentions}
        dropped += [DroppedMention(t, ALIAS_IGNORED) for t in ignored_tickers if t not in found]
        return Screened(kept, dropped)

    def _extract(self, text: str, ignored: frozenset[str]) -> tuple[list[Mention], list[str]]:
        """(mentions, tickers whose alias was ignored) in order of first appearance."""
        if not isinstance(text, str) or not text:
            return [], []
        text = unicodedata.normalize("NFKC", text)
        found: list[tuple[int, str, How, float]] = []
        ignored_tickers: list[str] = []
        alias_spans = self._aliases(text, found, ignored, ignored_tickers)
        self._cashtags(text, found)
        self._bare_symbols(text, found, alias_spans)
        self._lowercase_symbols(text, found, alias_spans)
        found.sort(key=lambda f: f[0])
        best: dict[str, Mention] = {}
        for _pos, ticker, how, weight in found:
            prior = best.get(ticker)
            if prior is None or weight > prior.weight:
                best[ticker] = Mention(ticker, how, weight)
        order = list(dict.fromkeys(f[1] for f in found))
        return [best[t] for t in order], list(dict.fromkeys(ignored_tickers))

    def tickers(self, text: str) -> list[str]:
        return [m.ticker for m in self.extract(text)]

    def _usable(self, raw: str) -> str | None:
        symbol = self.symbols.get(raw)
        if symbol is None or symbol.test_issue:
            return None
        return symbol.symbol

    def _aliases(
        self,
        text: str,
        found: list[tuple[int, str, How, float]],
        ignored: frozenset[str] = frozenset(),
        ignored_tickers: list[str] | None = None,
    ) -> list[range]:
        matches = list(WORD_RE.finditer(text))
        words = [normalise_word(m.group()) for m in matches]
        spans: list[range] = []
        max_n = self.symbols.max_alias_words
        i = 0
        while i < len(words):
            if words[i] not in self._alias_first_words:
                i += 1
                continue
            for n in range(min(max_n, len(words) - i), 0, -1):
                key = " ".join(words[i : i + n])
                symbol = self.symbols.alias_symbol(key)
                if key in ALIASES_NEEDING_CAPITAL and not matches[i].group()[:1].isupper():
                    symbol = None
                if symbol is not None and self._usable(symbol):
                    start, end = matches[i].start(), matches[i + n - 1].end()
                    if key in ignored:
                        if ignored_tickers is not None:
                            ignored_tickers.append(symbol)
                    else:
                        found.append((start, symbol, "alias", 1.0))
                    spans.append(range(start, end))
                    i += n
                    break
            else:
                i += 1
        return spans

    def _cashtags(self, text: str, found: list[tuple[int, str, How, float]]) -> None:
        if "$" not in text:
            return
        for m in _CASHTAG_RE.finditer(text):
            symbol = self._usable(m.group(1))
            if symbol is not None:
                found.append((m.start(), symbol, "cashtag", 1.0))

    def _bare_symbols(
        self, text: str, found: list[tuple[int, str, How, float]], alias_spans: list[range]
    ) -> None:
        shouting: bool | None = None
        for m in _BARE_RE.finditer(text):
            raw = m.group(1)
            if canonical_symbol(raw) in STOP_WORDS:
                continue
            symbol = self.symbols.get(raw)
            if symbol is None or symbol.test_issue:
                continue
            if any(m.start() in span for span in alias_spans):
                continue
            if shouting is None:
                shouting = is_shouting(text)
            if shouting:
                if symbol.ambiguity < UNAMBIGUOUS:
                    continue
            elif symbol.ambiguity < NEEDS_TIGHT_CONTEXT_BELOW or len(raw) == 1:
                if not _has_context(text, m.start(), m.end(), _TIGHT_CONTEXT_CHARS):
                    continue
            elif symbol.ambiguity < NEEDS_CONTEXT_BELOW and not _has_context(
                text, m.start(), m.end()
            ):
                continue
            found.append((m.start(), symbol.symbol, "symbol", symbol.ambiguity))

    def _lowercase_symbols(
        self, text: str, found: list[tuple[int, str, How, float]], alias_spans: list[range]
    ) -> None:
        """ "gme", "Pltr": people type the big names lower-case; only those, and with context."""
        for m in _LOWER_WORD_RE.finditer(text):
            raw = m.group(1)
            if raw.isupper() or raw.casefold() in LOWERCASE_EXCLUDED:
                continue
            symbol = self.symbols.get(raw)
            if symbol is None or symbol.test_issue or symbol.ambiguity < LOWERCASE_MIN:
                continue
            if not symbol.aliases:
                continue
            if canonical_symbol(raw) in STOP_WORDS:
                continue
            if any(m.start() in span for span in alias_spans):
                continue
            if _has_context(text, m.start(), m.end()):
                found.append((m.start(), symbol.symbol, "symbol", symbol.ambiguity))


def _has_context(text: str, start: int, end: int, reach: int = _CONTEXT_CHARS) -> bool:
    before = text[max(0, start - reach) : start]
    after = text[end : end + reach]
    return bool(_CONTEXT_RE.search(before) or _CONTEXT_RE.search(after))
