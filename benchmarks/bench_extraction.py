"""Ticker extraction on the hand-labelled real WSB texts: precision, recall, and what went wrong.

The labels (tests/fixtures/ticker_labels.csv) hold only (source file, id, tickers); the texts are
read from ../shared/data, which the project never copies. The symbol table is the real exchange
directory of February 2021 (NASDAQ Trader nasdaqlisted.txt + otherlisted.txt, parsed by
tickerpulse.symbols_directory) merged with the packaged ambiguity weights — the packaged 85-row list
alone would flatter recall. A label is a ticker the text is about, named by cashtag, symbol or
company name, whether or not it was listed in February 2021 (2022 texts name later listings such
as COIN and SOFI; those count as misses, honestly).

Run: `python benchmarks/bench_extraction.py` (exit 1 when a target is missed, 0 otherwise;
exit 0 with a note when ../shared/data is absent).
"""

from __future__ import annotations

import csv
import json
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
LABELS = ROOT / "tests" / "fixtures" / "ticker_labels.csv"
NASDAQ = Path("us_tickers") / "nasdaqlisted.txt"
OTHER = Path("us_tickers") / "otherlisted.txt"
PRECISION_TARGET = 0.95
RECALL_TARGET = 0.90


@dataclass(frozen=True)
class Labelled:
    source: str
    id: str
    text: str
    tickers: frozenset[str]


def _wsb_io(path: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            out.setdefault(row["id"], row["title"] or "")  # `title` holds the comment body
    return out


def _ndjson(path: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            rec = json.loads(line)
            body = rec.get("selftext") or ""
            if body in ("[removed]", "[deleted]"):
                body = ""
            parts = [p for p in (rec.get("title") or "", body) if p.strip()]
            out.setdefault(rec["id"], "\n\n".join(parts))
    return out


def _kaggle(path: Path) -> dict[str, str]:
    csv.field_size_limit(sys.maxsize)
    out: dict[str, str] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["title"] == "Comment":
                text = row["body"] or ""
            else:
                text = "\n\n".join(p for p in (row["title"], row["body"]) if p and p.strip())
            out.setdefault(row["id"], text)
    return out


READERS = {
    "wsb_pushshift_esbenkc/wsb_io.csv": _wsb_io,
    "wsb_pushshift_esbenkc/wallstreetbets.ndjson": _ndjson,
    "wsb_kaggle_schema_sample/reddit_wsb.csv": _kaggle,
}


def load_labelled(shared: Path = SHARED_DATA, labels: Path = LABELS) -> list[Labelled]:
    """The labelled texts; KeyError if a labelled id is missing from its source file."""
    texts = {name: reader(shared / name) for name, reader in READERS.items()}
    out = []
    with labels.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            text = texts[row["source"]][row["id"]]
            out.append(Labelled(row["source"], row["id"], text, frozenset(row["tickers"].split())))
    return out


def directory_table(shared: Path = SHARED_DATA) -> object:
    from tickerpulse.symbols_directory import directory_table as build

    return build(shared / NASDAQ, shared / OTHER)


@dataclass(frozen=True)
class Scores:
    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


def score(
    items: Iterable[Labelled], predict: object
) -> tuple[Scores, list[tuple[Labelled, set[str]]]]:
    """Micro-averaged over (text, ticker) pairs; also the texts that were not exactly right."""
    tp = fp = fn = 0
    wrong = []
    for item in items:
        got = set(predict(item.text))  # type: ignore[operator]
        tp += len(got & item.tickers)
        fp += len(got - item.tickers)
        fn += len(item.tickers - got)
        if got != item.tickers:
            wrong.append((item, got))
    return Scores(tp, fp, fn), wrong


def main() -> int:
    if not (SHARED_DATA / NASDAQ).exists():
        print(f"skipped: {SHARED_DATA} is not present (the labelled texts live there)")
        return 0
    from tickerpulse.symbols import SymbolTable
    from tickerpulse.tickers import TickerExtractor

    items = load_labelled()
    table = directory_table()
    assert isinstance(table, SymbolTable)
    extractor = TickerExtractor(table)
    started = time.perf_counter()
    result, wrong = score(items, extractor.tickers)
    elapsed = time.perf_counter() - started
    with_tickers = sum(1 for i in items if i.tickers)
    print(
        f"labelled texts: {len(items)} ({with_tickers} with tickers, "
        f"{len(items) - with_tickers} without); symbols: {len(table)}"
    )
    print(f"pairs: tp={result.tp} fp={result.fp} fn={result.fn}")
    print(f"precision: {result.precision:.3f} (target >= {PRECISION_TARGET})")
    print(f"recall:    {result.recall:.3f} (target >= {RECALL_TARGET})")
    print(f"extraction: {1000 * elapsed / len(items):.2f} ms per text")
    for item, got in wrong:
        missed = " ".join(sorted(item.tickers - got)) or "-"
        extra = " ".join(sorted(got - item.tickers)) or "-"
        snippet = " ".join(item.text.split())[:90]
        print(f"  {item.id:8} missed={missed:10} extra={extra:10} {snippet}")
    ok = result.precision >= PRECISION_TARGET and result.recall >= RECALL_TARGET
    print("targets met" if ok else "TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
