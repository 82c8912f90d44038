"""Options intent on hand-labelled real WSB texts: precision, recall, and what went wrong.

The labels (tests/fixtures/options_labels.csv) hold only (source, id) and, per ticker the text
talks options on, the side, strike, expiry and buy/sell as a reader of the text would judge them;
the texts come from ../shared/data, which the project never copies. 315 texts: 200 picked because
an options-looking word occurs (calls, puts, 150c, strike, expiry, leaps, FDs...), many of them
false friends ("margin call", "put money in", "sold at 3p"), and 115 at random from the rest.
A ticker of "" is options talk about no named ticker ("buy more calls").

How a text was labelled: it talks calls (puts) when it refers to call (put) options held, bought,
sold, wanted, advised or discussed; not for "options", "FDs", "leaps" or "the wheel" without a
side, nor jokes ("puts on your sleep schedule"). Strike and expiry only when written (a month
without a day is no expiry). buy/sell only when the text says which; holding is neither.

Numbers, each micro-averaged:
* text: (text, side) pairs, whatever the ticker: does the text talk calls, puts? The target
  (precision and recall >= 0.9) is on this one: it measures options intent itself.
* mention: (text, ticker, side) pairs for the tickers the extractor finds in the text plus the
  labelled ones: what the pipeline stores per (post, ticker). A ticker the ticker extractor finds
  wrongly ("DEEP ITM puts", "ICE cars", "$163 M") and that gets the text's options counts here as
  a false positive, so this number is bounded by ticker extraction too.
* strike, expiry, action: on the mention pairs found and labelled, how often the value given is
  right (precision) and how many labelled values were found right (recall).

The extractor was written while reading these texts, so the numbers are optimistic; the first
and second halves (by id) are also printed apart to show how much.

Run: `python benchmarks/bench_options_intent.py` (exit 1 when a target is missed, 0 otherwise;
exit 0 with a note when ../shared/data is absent). `make extraction-report` runs it.
"""

from __future__ import annotations

import csv
import json
import sys
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
LABELS = ROOT / "tests" / "fixtures" / "options_labels.csv"
PRECISION_TARGET = 0.90
RECALL_TARGET = 0.90


@dataclass(frozen=True)
class Entry:
    ticker: str  # "" when the text names no ticker for it
    side: str
    strike: float | None
    expiry: date | None
    action: str | None


@dataclass
class Labelled:
    source: str
    id: str
    text: str
    posted: datetime
    entries: list[Entry] = field(default_factory=list)


def _epoch(value: str) -> datetime:
    return datetime.fromtimestamp(int(float(value)), UTC)


def _wsb_io(path: Path) -> dict[str, tuple[str, datetime]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return {
            row["id"]: (row["title"] or "", _epoch(row["created_utc"]))
            for row in csv.DictReader(handle)
        }


def _ndjson(path: Path) -> dict[str, tuple[str, datetime]]:
    out: dict[str, tuple[str, datetime]] = {}
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            rec = json.loads(line)
            body = rec.get("selftext") or ""
            if body in ("[removed]", "[deleted]"):
                body = ""
            parts = [p for p in (rec.get("title") or "", body) if p.strip()]
            out.setdefault(rec["id"], ("\n\n".join(parts), _epoch(rec["created_utc"])))
    return out


def _kaggle(path: Path) -> dict[str, tuple[str, datetime]]:
    csv.field_size_limit(sys.maxsize)
    out: dict[str, tuple[str, datetime]] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["title"] == "Comment":
                text = row["body"] or ""
            else:
                text = "\n\n".join(p for p in (row["title"], row["body"]) if p and p.strip())
            out.setdefault(row["id"], (text, _epoch(row["created"])))
    return out


READERS: dict[str, Callable[[Path], dict[str, tuple[str, datetime]]]] = {
    "wsb_pushshift_esbenkc/wsb_io.csv": _wsb_io,
    "wsb_pushshift_esbenkc/wallstreetbets.ndjson": _ndjson,
    "wsb_kaggle_schema_sample/reddit_wsb.csv": _kaggle,
}


def load_labelled(shared: Path = SHARED_DATA, labels: Path = LABELS) -> list[Labelled]:
    """One item per labelled text; KeyError if a labelled id is missing from its source."""
    texts = {name: reader(shared / name) for name, reader in READERS.items()}
    items: dict[tuple[str, str], Labelled] = {}
    with labels.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            key = (row["source"], row["id"])
            if key not in items:
                text, posted = texts[row["source"]][row["id"]]
                items[key] = Labelled(row["source"], row["id"], text, posted)
            if row["side"]:
                items[key].entries.append(
                    Entry(
                        row["ticker"],
                        row["side"],
                        float(row["strike"]) if row["strike"] else None,
                        date.fromisoformat(row["expiry"]) if row["expiry"] else None,
                        row["action"] or None,
                    )
                )
    return sorted(items.values(), key=lambda i: (i.source, i.id))


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    def add(self, got: set[object], want: set[object]) -> None:
        self.tp += len(got & want)
        self.fp += len(got - want)
        self.fn += len(want - got)

    def line(self, name: str) -> str:
        return (
            f"{name:8} precision {self.precision:.3f}  recall {self.recall:.3f}  "
            f"(tp={self.tp} fp={self.fp} fn={self.fn})"
        )


@dataclass
class Report:
    text: Counts = field(default_factory=Counts)
    mention: Counts = field(default_factory=Counts)
    fields: dict[str, Counts] = field(default_factory=lambda: defaultdict(Counts))
    wrong: list[tuple[Labelled, str]] = field(default_factory=list)


def _sides(side: str | None) -> set[str]:
    return {"call", "put"} if side == "both" else ({side} if side else set())


def evaluate(items: Iterable[Labelled], tickers_of: Callable[[str], list[str]]) -> Report:
    from tickerpulse.options_intent import intent, text_sides

    report = Report()
    for item in items:
        want_text = {e.side for e in item.entries}
        got_text = text_sides(item.text)
        report.text.add(got_text, want_text)  # type: ignore[arg-type]
        labelled = {(e.ticker, e.side): e for e in item.entries if e.ticker}
        mentions = list(dict.fromkeys([*tickers_of(item.text), *(t for t, _ in labelled)]))
        got: dict[tuple[str, str], object] = {}
        for ticker in mentions:
            found = intent(item.text, ticker, mentions, item.posted)
            for side in _sides(found.side):
                got[(ticker, side)] = found
        report.mention.add(set(got), set(labelled))  # type: ignore[arg-type]
        for key in set(got) & set(labelled):
            want, have = labelled[key], got[key]
            for name in ("strike", "expiry", "action"):
                w, h = getattr(want, name), getattr(have, name)
                report.fields[name].add(
                    {h} if h is not None else set(), {w} if w is not None else set()
                )
        if got_text != want_text or set(got) != set(labelled):
            problem = (
                f"text got={sorted(got_text)} want={sorted(want_text)}; "
                f"mentions got={sorted(got)} want={sorted(labelled)}"
            )
            report.wrong.append((item, problem))
    return report


def directory_extractor(shared: Path = SHARED_DATA) -> Callable[[str], list[str]]:
    from tickerpulse.symbols_directory import directory_table
    from tickerpulse.tickers import TickerExtractor

    table = directory_table(shared / "us_tickers" / "nasdaqlisted.txt",
                            shared / "us_tickers" / "otherlisted.txt")  # fmt: skip
    return TickerExtractor(table).tickers


def main() -> int:
    if not (SHARED_DATA / "us_tickers" / "nasdaqlisted.txt").exists():
        print(f"skipped: {SHARED_DATA} is not present (the labelled texts live there)")
        return 0
    items = load_labelled()
    tickers_of = directory_extractor()
    report = evaluate(items, tickers_of)
    talking = sum(1 for i in items if i.entries)
    print(
        f"options intent: {len(items)} hand-labelled texts ({talking} talk options, "
        f"{len(items) - talking} do not)"
    )
    print(report.text.line("text") + f"   (target >= {PRECISION_TARGET} both)")
    print(
        report.mention.line("mention") + "   (per stored mention; ticker-extraction errors count)"
    )
    for name in ("strike", "expiry", "action"):
        print(report.fields[name].line(name))
    half = len(items) // 2
    for label, part in (("first half", items[:half]), ("second half", items[half:])):
        sub = evaluate(part, tickers_of)
        print(
            f"  {label}: text P {sub.text.precision:.3f} R {sub.text.recall:.3f}; "
            f"mention P {sub.mention.precision:.3f} R {sub.mention.recall:.3f}"
        )
    for item, problem in report.wrong:
        snippet = " ".join(item.text.split())[:100]
        print(f"  {item.id:8} {problem} | {snippet}")
    ok = report.text.precision >= PRECISION_TARGET and report.text.recall >= RECALL_TARGET
    print("options targets met" if ok else "OPTIONS TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
