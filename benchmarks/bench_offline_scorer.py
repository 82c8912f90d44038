"""Offline scorer speed and quality, each against generic VADER measured in the same run.

* Speed: texts per second on one core over the real r/wallstreetbets comments in
  ../shared/data/wsb_pushshift_esbenkc/wsb_io.csv (the `title` column holds the comment body),
  best of several passes; the target is at least 2,000 texts/s.
* Quality: accuracy and macro-F1 on Financial PhraseBank Sentences_AllAgree.txt (evaluation only;
  nothing is tuned or trained on it); the target is accuracy >= 0.75 and macro-F1 >= 0.65.

Run: .venv/bin/python benchmarks/bench_offline_scorer.py [--repeat 5]. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "include"))
SHARED = ROOT.parent / "shared" / "data"
WSB = SHARED / "wsb_pushshift_esbenkc" / "wsb_io.csv"
PHRASEBANK = SHARED / "financial_phrasebank" / "Sentences_AllAgree.txt"
TARGET_TEXTS_PER_SEC = 2000


def pin_one_core() -> str:
    if hasattr(os, "sched_setaffinity"):
        core = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {core})
        return f"pinned to core {core}"
    return "not pinned (no sched_setaffinity)"


def wsb_comments() -> list[str]:
    csv.field_size_limit(sys.maxsize)
    with WSB.open(encoding="utf-8", newline="") as handle:
        return [row["title"] or "" for row in csv.DictReader(handle)]


def best_rate(score: Callable[[str], object], texts: list[str], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for text in texts:
            score(text)
        best = min(best, time.perf_counter() - start)
    return len(texts) / best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    from tickerpulse.evaluation.report import comparison
    from tickerpulse.evaluation.runner import run_eval
    from tickerpulse.scoring.offline import OfflineScorer
    from tickerpulse.scoring.vader_baseline import VaderScorer

    print(f"one core: {pin_one_core()}")
    ok = True
    if WSB.exists():
        texts = wsb_comments()
        offline, vader = OfflineScorer(), VaderScorer()
        for scorer in (offline, vader):  # warm up
            for text in texts[:200]:
                scorer.score_text(text)
        fast = best_rate(offline.score_text, texts, args.repeat)
        base = best_rate(vader.score_text, texts, args.repeat)
        mean_len = sum(map(len, texts)) / len(texts)
        print(
            f"\nWSB comments: {len(texts)} texts, mean {mean_len:.0f} chars, best of {args.repeat}"
        )
        print(f"  offline {offline.version}: {fast:10,.0f} texts/s")
        print(f"  vader (baseline):     {base:10,.0f} texts/s")
        print(
            f"  ratio offline/vader: {fast / base:.2f}   target >= {TARGET_TEXTS_PER_SEC}: "
            f"{'PASS' if fast >= TARGET_TEXTS_PER_SEC else 'FAIL'}"
        )
        ok = ok and fast >= TARGET_TEXTS_PER_SEC
    else:
        print(f"skipped speed: {WSB} not present")
    if PHRASEBANK.exists():
        results = run_eval(PHRASEBANK, "offline", started_at=datetime.now(UTC), baseline="vader")
        print(f"\nFinancial PhraseBank {PHRASEBANK.name} (n={results[0].n}):")
        print(comparison(results))
        gate = results[0].accuracy >= 0.75 and results[0].macro_f1 >= 0.65
        print(f"gate accuracy >= 0.75 and macro-F1 >= 0.65: {'PASS' if gate else 'FAIL'}")
        ok = ok and gate
    else:
        print(f"skipped quality: {PHRASEBANK} not present")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
