"""Tickers as of the post's date and place: a symbol counts only while it traded, and an alias
may mean something else in a subreddit. Every mention dropped comes back with its reason."""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path

import psycopg2
import pytest

from tests.conftest import shared_data
from tickerpulse.config import parse_ignored_aliases
from tickerpulse.symbols import (
    NO_LONGER_TRADING,
    NOT_YET_TRADING,
    load_symbols,
    parse_symbols,
)
from tickerpulse.symbols_directory import refresh_symbols
from tickerpulse.symbols_history import record_first_trades, trading_dates
from tickerpulse.tickers import ALIAS_IGNORED, TickerExtractor

BROKER_DAY = datetime(2021, 1, 28, 15, 0, tzinfo=UTC)  # brokers restricted GME that day
AFTER_IPO = datetime(2021, 8, 2, 15, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def extractor() -> TickerExtractor:
    return TickerExtractor(load_symbols(), parse_ignored_aliases("robinhood:Robinhood"))


def _kept(extractor: TickerExtractor, text: str, sub: str, at: datetime) -> list[str]:
    return [m.ticker for m in extractor.screen(text, sub, at).kept]


def _dropped(
    extractor: TickerExtractor, text: str, sub: str, at: datetime
) -> list[tuple[str, str]]:
    return [(d.ticker, d.reason) for d in extractor.screen(text, sub, at).dropped]


def test_hood_does_not_exist_before_its_listing_day(extractor: TickerExtractor) -> None:
    text = "Robinhood restricted buying GME today, moving to Fidelity"
    assert _kept(extractor, text, "wallstreetbets", BROKER_DAY) == ["GME"]
    assert _dropped(extractor, text, "wallstreetbets", BROKER_DAY) == [("HOOD", NOT_YET_TRADING)]
    assert _kept(extractor, text, "wallstreetbets", AFTER_IPO) == ["HOOD", "GME"]
    assert _dropped(extractor, text, "wallstreetbets", AFTER_IPO) == []


def test_the_listing_day_is_a_new_york_day(extractor: TickerExtractor) -> None:
    # 03:00 UTC on the 29th is still the evening of July 28 in New York: not listed yet.
    evening_before = datetime(2021, 7, 29, 3, 0, tzinfo=UTC)
    assert _kept(extractor, "$HOOD ipo tomorrow", "stocks", evening_before) == []
    assert _kept(extractor, "$HOOD ipo today", "stocks", datetime(2021, 7, 29, 14, tzinfo=UTC)) == [
        "HOOD"
    ]


def test_an_alias_the_subreddit_gives_another_meaning_is_ignored_there_only(
    extractor: TickerExtractor,
) -> None:
    text = "Robinhood's app froze again during the open"
    assert _kept(extractor, text, "robinhood", AFTER_IPO) == []
    assert _dropped(extractor, text, "RobinHood", AFTER_IPO) == [("HOOD", ALIAS_IGNORED)]
    assert _kept(extractor, text, "stocks", AFTER_IPO) == ["HOOD"]
    # A deliberate form still counts in r/robinhood: the cashtag, or the company's full name.
    assert _kept(extractor, "Robinhood app is down, $HOOD puts", "robinhood", AFTER_IPO) == ["HOOD"]
    assert _dropped(extractor, "Robinhood app is down, $HOOD puts", "robinhood", AFTER_IPO) == []
    assert _kept(extractor, "Robinhood Markets Inc. files for IPO", "robinhood", AFTER_IPO) == [
        "HOOD"
    ]


def test_a_delisted_symbol_no_longer_counts(extractor: TickerExtractor) -> None:
    text = "still holding $BBBY bags"
    assert _kept(extractor, text, "stocks", datetime(2023, 5, 2, 15, tzinfo=UTC)) == ["BBBY"]
    assert _dropped(extractor, text, "stocks", datetime(2023, 6, 1, tzinfo=UTC)) == [
        ("BBBY", NO_LONGER_TRADING)
    ]


def test_without_a_date_or_a_subreddit_nothing_is_screened(extractor: TickerExtractor) -> None:
    screened = extractor.screen("Robinhood and $GME", None, None)
    assert [m.ticker for m in screened.kept] == ["HOOD", "GME"]
    assert extractor.tickers("Robinhood and $GME") == ["HOOD", "GME"]  # extract() is unchanged


def test_trading_dates_in_the_symbol_csv_are_checked() -> None:
    header = "symbol,name,exchange,is_etf,test_issue,ambiguity,aliases,first_trade,last_trade\n"
    table = parse_symbols(io.StringIO(header + "ZZ,Zed,NYSE,false,false,1,,2020-01-02,\n"))
    zz = table.get("ZZ")
    assert zz is not None
    assert zz.first_trade == date(2020, 1, 2)
    assert zz.last_trade is None
    with pytest.raises(ValueError, match="first_trade='Jan 2'"):
        parse_symbols(io.StringIO(header + "ZZ,Zed,NYSE,false,false,1,,Jan 2,\n"))
    old = "symbol,name,exchange,is_etf,test_issue,ambiguity,aliases\nZZ,Zed,NYSE,false,false,1,\n"
    assert parse_symbols(io.StringIO(old)).get("ZZ") is not None  # the dates are optional


def test_ignored_aliases_setting_is_parsed_and_checked() -> None:
    assert parse_ignored_aliases("Robinhood:Robinhood|RH app; coinbase:Coinbase") == {
        "robinhood": ("Robinhood", "RH app"),
        "coinbase": ("Coinbase",),
    }
    assert parse_ignored_aliases("") == {}
    with pytest.raises(ValueError, match="TICKERPULSE_IGNORED_ALIASES"):
        parse_ignored_aliases("robinhood")


def _directory(tmp_path: Path, name: str, symbols: list[str]) -> Path:
    lines = [
        "Symbol|Security Name|Market Category|Test Issue|Financial Status|Round Lot Size|ETF|"
        "NextShares"
    ]
    lines += [f"{s}|{s} Inc. Common Stock|Q|N|N|100|N|N" for s in symbols]
    lines.append("File Creation Time: 0101202100:00|||||||")
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_the_warehouse_knows_listings_from_yahoo_curated_dates_and_directory_refreshes(
    fresh_db: str, tmp_path: Path
) -> None:
    filler = [f"Q{chr(65 + i // 26)}{chr(65 + i % 26)}X" for i in range(120)]
    other = tmp_path / "other.txt"
    other.write_text(
        "ACT Symbol|Security Name|Exchange|CQS Symbol|ETF|Round Lot Size|Test Issue|"
        "NASDAQ Symbol\nFile Creation Time: 0101202100:00|||||||\n",
        encoding="utf-8",
    )
    first = _directory(tmp_path, "n1.txt", [*filler, "GONE", "HOOD", "GME"])
    second = _directory(tmp_path, "n2.txt", [*filler, "NEWCO", "HOOD", "GME"])
    refresh_symbols(fresh_db, first, other, seen_on=date(2024, 1, 2))
    refresh_symbols(fresh_db, first, other, seen_on=date(2024, 1, 3))
    refresh_symbols(fresh_db, second, other, seen_on=date(2024, 1, 5))
    with psycopg2.connect(fresh_db) as conn, conn.cursor() as cur:
        record_first_trades(cur, {"GME": date(2002, 2, 13), "ZZZZ": date(2020, 1, 2)}, "yfinance")
        dates = trading_dates(cur)
    assert dates["HOOD"] == (date(2021, 7, 29), None)  # the curated listing day
    assert dates["GME"] == (date(2002, 2, 13), None)  # Yahoo's firstTradeDate
    assert dates["ZZZZ"] == (date(2020, 1, 2), None)  # Yahoo knows it, the directory does not
    # NEWCO appeared after the refresh of Jan 3 listed it not; GONE left after Jan 3.
    assert dates["NEWCO"] == (date(2024, 1, 3), None)
    assert dates["GONE"] == (None, date(2024, 1, 5))
    assert filler[0] not in dates  # listed at every refresh: nothing known, nothing restricted


def test_real_wsb_comments_of_january_2021_never_count_hood(extractor: TickerExtractor) -> None:
    """The held-out-style check on real data: r/wallstreetbets comments of Jan 16 - Feb 7, 2021.
    Robinhood is named in them (the broker of the GME squeeze); HOOD listed on 2021-07-29."""
    path = shared_data("wsb_pushshift_esbenkc", "wsb_io.csv")
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    dropped: Counter[tuple[str, str]] = Counter()
    kept: Counter[str] = Counter()
    for row in rows:
        at = datetime.fromtimestamp(int(float(row["created_utc"])), UTC)
        screened = extractor.screen(row["title"], row["subreddit"], at)
        kept.update(m.ticker for m in screened.kept)
        dropped.update((d.ticker, d.reason) for d in screened.dropped)
    unscreened = sum("HOOD" in extractor.tickers(row["title"]) for row in rows)
    assert unscreened >= 5  # without the dates, the broker becomes a ticker
    assert kept["HOOD"] == 0
    assert dropped[("HOOD", NOT_YET_TRADING)] == unscreened
    assert kept["GME"] > 100  # the rest of the extraction is untouched
