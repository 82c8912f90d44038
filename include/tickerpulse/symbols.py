"""The exchange symbol list that every ticker mention is validated against.

A bare upper-case word on Reddit is only a ticker when a real listing carries it, and even then it
may just be a word ("ON", "ALL"); the per-symbol `ambiguity` (the chance that a bare mention means
the ticker) and the alias index (company names, nicknames) are what let the extractor tell them
apart. The packaged CSV ships with the project so extraction works with no network.

A symbol also has the days it traded, where they are known: a mention counts only while the
symbol was trading (HOOD first traded on 2021-07-29, so "Robinhood" in January 2021 is not HOOD).
The packaged list carries the dates of the well-known cases; the warehouse adds Yahoo's
`firstTradeDate` and the days the directory refresh first and last listed a symbol
(`tickerpulse.symbols_history`). An unknown date restricts nothing.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime
from functools import cache
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo

COLUMNS = ("symbol", "name", "exchange", "is_etf", "test_issue", "ambiguity", "aliases")
# Optional columns: the first and last day the symbol traded (YYYY-MM-DD, New York dates).
DATE_COLUMNS = ("first_trade", "last_trade")
NEW_YORK = ZoneInfo("America/New_York")
# Why a mention of a listed symbol does not count at the post's time.
NOT_YET_TRADING = "not_yet_trading"
NO_LONGER_TRADING = "no_longer_trading"
_TRUE = {"1", "true", "t", "y", "yes"}
_FALSE = {"0", "false", "f", "n", "no", ""}

# A word of an alias or of a text: letters/digits, possibly joined by & ' . - (AT&T, Coca-Cola,
# Amazon.com, Cathie Wood's). Shared with the extractor so both sides split text the same way.
WORD_RE = re.compile(r"\w+(?:[&'’.\-]\w+)*")
_POSSESSIVE = ("'s", "’s")


def normalise_word(word: str) -> str:
    """Casefolded, possessive dropped, so "Disney's" matches the alias "Disney"."""
    word = word.casefold()
    if word.endswith(_POSSESSIVE) and len(word) > 2:
        word = word[:-2]
    return word


def alias_words(text: str) -> list[str]:
    return [normalise_word(w) for w in WORD_RE.findall(text)]


def alias_key(text: str) -> str:
    return " ".join(alias_words(text))


def canonical_symbol(raw: str) -> str:
    """One spelling for class shares: BRK.B, BRK-B and BRK/B are the same listing."""
    return re.sub(r"[-/]", ".", raw.strip().upper())


@dataclass(frozen=True)
class Symbol:
    symbol: str
    name: str
    exchange: str
    is_etf: bool
    test_issue: bool
    ambiguity: float  # in (0, 1]: how likely a bare mention means this ticker
    aliases: tuple[str, ...]
    first_trade: date | None = None  # first trading day (New York date), if known
    last_trade: date | None = None  # last trading day, if it no longer trades

    def not_trading_reason(self, at: datetime) -> str | None:
        """None when the symbol was trading on the day of `at` (New York), else why not."""
        if self.first_trade is None and self.last_trade is None:
            return None
        day = at.astimezone(NEW_YORK).date()
        if self.first_trade is not None and day < self.first_trade:
            return NOT_YET_TRADING
        if self.last_trade is not None and day > self.last_trade:
            return NO_LONGER_TRADING
        return None


class SymbolTable:
    """Symbols by canonical spelling, plus an index from alias words to symbol.

    When two listings share an alias (GOOG and GOOGL are both "Alphabet"), the first row in the
    file keeps it, so the answer does not depend on hash order. `index_names=False` leaves the
    security names out of the alias index: the exchange directory's names ("Apple Hospitality
    REIT, Inc. Common Stock") are legal names nobody writes, and their first words ("Apple") would
    only slow every lookup down.
    """

    def __init__(self, symbols: Iterable[Symbol], *, index_names: bool = True) -> None:
        self._index_names = index_names
        self._by_symbol: dict[str, Symbol] = {}
        self._by_alias: dict[str, str] = {}
        for s in symbols:
            key = canonical_symbol(s.symbol)
            if key in self._by_symbol:
                raise ValueError(f"duplicate symbol {s.symbol!r}")
            self._by_symbol[key] = s
        for s in self._by_symbol.values():
            for alias in (s.name, *s.aliases) if index_names else s.aliases:
                akey = alias_key(alias)
                if akey and akey != s.symbol.casefold():
                    self._by_alias.setdefault(akey, s.symbol)
        self.max_alias_words = max((len(k.split()) for k in self._by_alias), default=0)

    def with_trading_dates(self, dates: dict[str, tuple[date | None, date | None]]) -> SymbolTable:
        """A copy whose symbols carry these (first, last) trading days where one is known; a
        date not given keeps the table's own."""
        if not dates:
            return self
        updated = []
        for s in self._by_symbol.values():
            first, last = dates.get(canonical_symbol(s.symbol), (None, None))
            updated.append(
                replace(s, first_trade=first or s.first_trade, last_trade=last or s.last_trade)
            )
        return SymbolTable(updated, index_names=self._index_names)

    def get(self, symbol: str) -> Symbol | None:
        return self._by_symbol.get(canonical_symbol(symbol))

    def by_alias(self, alias: str) -> Symbol | None:
        symbol = self._by_alias.get(alias_key(alias))
        return None if symbol is None else self._by_symbol[canonical_symbol(symbol)]

    def alias_symbol(self, key: str) -> str | None:
        """Symbol for an already-normalised alias key (see `alias_key`): the extractor's path."""
        return self._by_alias.get(key)

    @property
    def aliases(self) -> dict[str, str]:
        return dict(self._by_alias)

    def __contains__(self, symbol: object) -> bool:
        return isinstance(symbol, str) and canonical_symbol(symbol) in self._by_symbol

    def __len__(self) -> int:
        return len(self._by_symbol)

    def __iter__(self) -> Iterator[Symbol]:
        return iter(self._by_symbol.values())


def _bool(value: str, field: str, line: int) -> bool:
    v = value.strip().casefold()
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    raise ValueError(f"symbols line {line}: {field}={value!r} is not a boolean")


def _date(value: str | None, field: str, line: int) -> date | None:
    text = (value or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"symbols line {line}: {field}={text!r} is not a YYYY-MM-DD date") from exc


def parse_symbols(handle: Iterable[str]) -> SymbolTable:
    reader = csv.DictReader(handle)
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise ValueError(f"symbols CSV lacks columns {missing}")
    rows = []
    for line, row in enumerate(reader, start=2):
        symbol = (row["symbol"] or "").strip().upper()
        if not symbol:
            raise ValueError(f"symbols line {line}: empty symbol")
        raw_amb = (row["ambiguity"] or "").strip()
        try:
            ambiguity = float(raw_amb) if raw_amb else 1.0
        except ValueError as exc:
            raise ValueError(f"symbols line {line}: ambiguity {raw_amb!r}") from exc
        if not 0.0 < ambiguity <= 1.0:
            raise ValueError(f"symbols line {line}: ambiguity {ambiguity} not in (0, 1]")
        aliases = tuple(a.strip() for a in (row["aliases"] or "").split("|") if a.strip())
        rows.append(
            Symbol(
                symbol=symbol,
                name=(row["name"] or "").strip(),
                exchange=(row["exchange"] or "").strip(),
                is_etf=_bool(row["is_etf"] or "", "is_etf", line),
                test_issue=_bool(row["test_issue"] or "", "test_issue", line),
                ambiguity=ambiguity,
                aliases=aliases,
                first_trade=_date(row.get("first_trade"), "first_trade", line),
                last_trade=_date(row.get("last_trade"), "last_trade", line),
            )
        )
    return SymbolTable(rows)


@cache
def _packaged() -> SymbolTable:
    resource = resources.files("tickerpulse") / "data" / "symbols.csv"
    return parse_symbols(io.StringIO(resource.read_text(encoding="utf-8"), newline=""))


def load_symbols(path: Path | None = None) -> SymbolTable:
    """The symbol table from `path`, or the packaged one (parsed once per process)."""
    if path is None:
        return _packaged()
    with Path(path).open("r", encoding="utf-8-sig", newline="") as handle:
        return parse_symbols(handle)
