"""Extraction on the hand-labelled real WSB texts, against the real February 2021 directory.

Only (source, id, tickers) live in tests/fixtures/ticker_labels.csv; the texts are read from
../shared/data (skipped with a reason when it is absent). benchmarks/bench_extraction.py prints
the same numbers with the texts it got wrong.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import shared_data
from tickerpulse.symbols import SymbolTable
from tickerpulse.tickers import TickerExtractor

ROOT = Path(__file__).resolve().parents[1]


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "bench_extraction", ROOT / "benchmarks" / "bench_extraction.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    shared_data("us_tickers", "nasdaqlisted.txt")
    shared_data("wsb_pushshift_esbenkc", "wsb_io.csv")
    return _bench()


def test_labels_are_enough_and_varied(bench: ModuleType) -> None:
    items = bench.load_labelled()
    assert len(items) >= 300
    assert len({(i.source, i.id) for i in items}) == len(items)
    assert sum(1 for i in items if not i.tickers) >= 100  # many texts about no ticker at all
    assert {i.source for i in items} == set(bench.READERS)


def test_precision_and_recall_on_the_labelled_set(bench: ModuleType) -> None:
    table = bench.directory_table()
    assert isinstance(table, SymbolTable)
    assert len(table) > 9000
    result, _wrong = bench.score(bench.load_labelled(), TickerExtractor(table).tickers)
    assert result.precision >= bench.PRECISION_TARGET, result
    assert result.recall >= bench.RECALL_TARGET, result
