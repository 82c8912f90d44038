"""Ticker extraction: cashtags, bare symbols with their guards, aliases, shouting, unicode."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tickerpulse.symbols import Symbol, SymbolTable, load_symbols
from tickerpulse.tickers import Mention, TickerExtractor, is_shouting

SYMBOLS_CSV = """\
symbol,name,exchange,is_etf,test_issue,ambiguity,aliases
GME,GameStop Corp.,NYSE,false,false,1.0,GameStop|Gamestop|Game Stop
TSLA,Tesla Inc.,NASDAQ,false,false,1.0,Tesla
AMC,AMC Entertainment Holdings Inc.,NYSE,false,false,0.9,AMC Entertainment
BB,BlackBerry Ltd.,NYSE,false,false,0.6,BlackBerry
DIS,Walt Disney Co.,NYSE,false,false,0.6,Disney|the mouse
F,Ford Motor Co.,NYSE,false,false,0.1,Ford Motor
T,AT&T Inc.,NYSE,false,false,0.1,AT&T
CAT,Caterpillar Inc.,NYSE,false,false,0.3,Caterpillar
ON,ON Semiconductor Corp.,NASDAQ,false,false,0.1,onsemi
ALL,Allstate Corp.,NYSE,false,false,0.1,Allstate
YOLO,AdvisorShares Pure Cannabis ETF,NYSE ARCA,true,false,0.05,
BRK.B,Berkshire Hathaway Inc. Class B,NYSE,false,false,1.0,Berkshire Hathaway
GOOGL,Alphabet Inc. Class A,NASDAQ,false,false,1.0,Google|Alphabet
GOOG,Alphabet Inc. Class C,NASDAQ,false,false,1.0,Alphabet
ZVZZT,NASDAQ TEST STOCK,NASDAQ,false,true,1.0,Test Stock
"""


@pytest.fixture(scope="module")
def table(tmp_path_factory: pytest.TempPathFactory) -> SymbolTable:
    path = tmp_path_factory.mktemp("symbols") / "symbols.csv"
    path.write_text(SYMBOLS_CSV, encoding="utf-8")
    return load_symbols(path)


@pytest.fixture(scope="module")
def ex(table: SymbolTable) -> TickerExtractor:
    return TickerExtractor(table)


def test_symbol_table_lookups(table: SymbolTable) -> None:
    gme = table.get("gme")
    assert gme == Symbol(
        "GME", "GameStop Corp.", "NYSE", False, False, 1.0, ("GameStop", "Gamestop", "Game Stop")
    )
    assert table.by_alias("THE MOUSE") == table.get("DIS")
    assert "BRK-B" in table
    assert table.get("brk/b") == table.get("BRK.B")
    assert table.by_alias("Alphabet") == table.get("GOOGL")  # the first row keeps a shared alias
    assert len(table) == 15


def test_loader_rejects_bad_rows(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        SYMBOLS_CSV.replace("GME,GameStop Corp.,NYSE,false,false,1.0", "GME,G,N,false,false,0")
    )
    with pytest.raises(ValueError, match="ambiguity"):
        load_symbols(bad)
    bad.write_text("symbol,name\nGME,GameStop\n")
    with pytest.raises(ValueError, match="columns"):
        load_symbols(bad)


def test_packaged_symbols_load() -> None:
    table = load_symbols()
    assert table.get("GME") is not None
    assert load_symbols() is table  # parsed once per process


def test_cashtags(ex: TickerExtractor) -> None:
    assert ex.extract("$GME and $tsla") == [
        Mention("GME", "cashtag", 1.0),
        Mention("TSLA", "cashtag", 1.0),
    ]
    assert ex.tickers("$BRK.B and $BRK-B") == ["BRK.B"]
    assert ex.tickers("$XYZQ is not listed") == []


def test_dollar_amounts_are_money(ex: TickerExtractor) -> None:
    assert ex.tickers("made $5 then $100k, $3.50 a share, US$20") == []


def test_cashtag_overrides_stop_list_and_ambiguity(ex: TickerExtractor) -> None:
    assert ex.extract("$ON and $F") == [Mention("ON", "cashtag", 1.0), Mention("F", "cashtag", 1.0)]


@pytest.mark.parametrize(
    "text",
    [
        "ON calls are printing",
        "I went ALL in, YOLO",
        "DD on the CEO: IMO it is an ATH, EDIT: TLDR buy the IPO",
    ],
)
def test_stop_words_are_not_tickers_even_in_context(ex: TickerExtractor, text: str) -> None:
    assert ex.tickers(text) == []


def test_ambiguous_symbols_need_finance_context(ex: TickerExtractor) -> None:
    assert ex.tickers("CAT videos are the best") == []
    assert ex.extract("bought CAT calls this morning") == [Mention("CAT", "symbol", 0.3)]
    assert ex.tickers("F this") == []
    assert ex.extract("F is up 5% today") == [Mention("F", "symbol", 0.1)]


def test_unambiguous_bare_symbols_count_and_lowercase_does_not(ex: TickerExtractor) -> None:
    assert ex.extract("TSLA looks interesting") == [Mention("TSLA", "symbol", 1.0)]
    assert ex.extract("BB looks interesting") == [Mention("BB", "symbol", 0.6)]
    assert ex.tickers("tsla looks interesting, NASA too") == []


def test_aliases_are_case_insensitive_on_word_boundaries(ex: TickerExtractor) -> None:
    assert ex.extract("The Mouse is cheap") == [Mention("DIS", "alias", 1.0)]
    assert ex.tickers("Disney's parks and GAMESTOP and game stop") == ["DIS", "GME"]
    assert ex.tickers("Disneyland and gamestopped") == []
    assert ex.tickers("Berkshire Hathaway annual letter") == ["BRK.B"]


def test_parts_of_joined_words_are_not_symbols(ex: TickerExtractor) -> None:
    assert ex.tickers("AT&T is a dividend stock") == ["T"]
    assert ex.tickers("pre-CAT stock and CAT-like shares") == []


def test_one_mention_per_ticker_in_first_seen_order_with_strongest_evidence(
    ex: TickerExtractor,
) -> None:
    found = ex.extract("TSLA first, then BB, then $BB, then Tesla again and $TSLA")
    assert found == [Mention("TSLA", "symbol", 1.0), Mention("BB", "cashtag", 1.0)]


def test_test_issues_are_never_tickers(ex: TickerExtractor) -> None:
    assert ex.tickers("$ZVZZT ZVZZT test stock shares") == []


def test_shouting_only_keeps_deliberate_and_unambiguous_mentions(ex: TickerExtractor) -> None:
    text = "I AM SO HYPED, BB AND CAT CALLS, AMC AND GME TO THE MOON, $DIS TOO, THE MOUSE!"
    assert is_shouting(text)
    assert ex.tickers(text) == ["AMC", "GME", "DIS"]
    # the same words in normal case keep BB (0.6) and CAT (context: calls)
    assert ex.tickers("I am so hyped, BB and CAT calls, AMC and GME") == ["BB", "CAT", "AMC", "GME"]
    assert not is_shouting("GME")


def test_fullwidth_and_fancy_unicode_is_folded(ex: TickerExtractor) -> None:
    assert ex.tickers("𝐆𝐌𝐄 and ＄ＴＳＬＡ") == ["GME", "TSLA"]


def test_empty_and_non_text(ex: TickerExtractor) -> None:
    assert ex.extract("") == []
    assert ex.extract(None) == []  # type: ignore[arg-type]


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_any_unicode_is_handled(ex: TickerExtractor, text: str) -> None:
    found = ex.extract(text)
    tickers = [m.ticker for m in found]
    assert len(tickers) == len(set(tickers))
    for m in found:
        assert m.ticker in ex.symbols
        assert 0.0 < m.weight <= 1.0
