"""Options intent: the forms Reddit writes options in, the false friends, the attribution to a
ticker, and precision/recall on the hand-labelled real texts (skipped without ../shared/data)."""

from __future__ import annotations

import importlib.util
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import shared_data
from tickerpulse.options_intent import NO_INTENT, intent, phrases, text_sides

ROOT = Path(__file__).resolve().parents[1]
POSTED = datetime(2021, 1, 28, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "side", "strike", "expiry", "action"),
    [
        ("GME 150c", "call", 150.0, None, None),
        ("bought GME 3/19 40p", "put", 40.0, date(2021, 3, 19), "buy"),
        ("GME calls all day", "call", None, None, None),
        ("loading up on GME puts", "put", None, None, "buy"),
        ("GME $16 calls 1/15/22", "call", 16.0, date(2022, 1, 15), None),
        ("sold my GME call @ 126", "call", 126.0, None, "sell"),
        ("GME Feb 19 $144c", "call", 144.0, date(2021, 2, 19), None),
        ("trimmed half my GME 1000 strike put", "put", 1000.0, None, "sell"),
        ("writing covered calls on GME", "call", None, None, "sell"),
        ("GME 18/Dec/20 24c", "call", 24.0, date(2020, 12, 18), None),
        ("GME 40c and 35p", "both", 40.0, None, None),
        ("don't buy GME calls", "call", None, None, None),
    ],
)
def test_forms_of_options_talk(
    text: str, side: str, strike: float | None, expiry: date | None, action: str | None
) -> None:
    got = intent(text, "GME", ["GME"], POSTED)
    assert (got.side, got.strike, got.expiry, got.action) == (side, strike, expiry, action)


@pytest.mark.parametrize(
    "text",
    [
        "GME margin call incoming",
        "listen to the GME earnings call",
        "I put 10k in GME",
        "watch GME dump after I sold at 3p",
        "SHORTED 2 contracts for 69c",  # cents, not a call
        "I call this the GME paradox",
        "my GME P/L is ugly",
        "GME options are cheap, FDs for everyone",
        "Call of Duty is a good game",
        "it puts us in a tough spot",
    ],
)
def test_false_friends_are_not_options(text: str) -> None:
    assert intent(text, "GME", ["GME"], POSTED) == NO_INTENT


def test_an_expiry_without_a_year_is_the_next_one_after_the_post() -> None:
    [p] = phrases("GME 1/22 40c", datetime(2021, 1, 20, tzinfo=UTC))
    assert p.expiry == date(2021, 1, 22)
    [p] = phrases("GME 1/22 40c", datetime(2021, 12, 1, tzinfo=UTC))
    assert p.expiry == date(2022, 1, 22)


def test_phrases_belong_to_the_ticker_written_nearest() -> None:
    text = "Holding AMC calls. Also bought GME puts yesterday. Spy/QQQ puts too"
    tickers = ["AMC", "GME", "SPY", "QQQ"]
    assert intent(text, "AMC", tickers, POSTED).side == "call"
    gme = intent(text, "GME", tickers, POSTED)
    assert (gme.side, gme.action) == ("put", "buy")
    assert intent(text, "SPY", tickers, POSTED).side == "put"  # listed with QQQ
    assert intent(text, "QQQ", tickers, POSTED).side == "put"
    # "puts on X" names its ticker even when another is closer.
    assert intent("AAPL is done, buying puts on MSFT", "MSFT", ["AAPL", "MSFT"]).side == "put"
    assert intent("AAPL is done, buying puts on MSFT", "AAPL", ["AAPL", "MSFT"]) == NO_INTENT


def test_a_post_about_one_ticker_by_company_name_gets_its_options() -> None:
    assert intent("Ford calls printing", "F", ["F"]).side == "call"


def test_text_sides() -> None:
    assert text_sides("Buy a call or put. Roll the dice.") == {"call", "put"}
    assert text_sides("margin call") == set()


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "bench_options_intent", ROOT / "benchmarks" / "bench_options_intent.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_precision_and_recall_on_the_hand_labelled_texts() -> None:
    shared_data("wsb_pushshift_esbenkc", "wsb_io.csv")
    shared_data("us_tickers", "nasdaqlisted.txt")
    bench = _bench()
    items = bench.load_labelled()
    assert len(items) >= 300
    assert sum(1 for i in items if i.entries) >= 120  # options talk well represented
    assert sum(1 for i in items if not i.entries) >= 120
    report = bench.evaluate(items, bench.directory_extractor())
    assert report.text.precision >= bench.PRECISION_TARGET, report.text
    assert report.text.recall >= bench.RECALL_TARGET, report.text
    assert report.mention.recall >= 0.85, report.mention


def test_a_huge_post_full_of_options_words_stays_cheap() -> None:
    """Post text is untrusted: a 100 KB paste of option words must not make the load quadratic."""
    import time

    text = "GME calls. AMC 40p, SPY/QQQ puts! " * 3000  # ~100 KB, 12,000 phrases
    started = time.perf_counter()
    for ticker in ("GME", "AMC", "SPY", "QQQ", "TSLA"):
        intent(text, ticker, ["GME", "AMC", "SPY", "QQQ", "TSLA"], POSTED)
    assert time.perf_counter() - started < 5
    assert intent(text, "GME", ["GME", "AMC"], POSTED).side == "call"
