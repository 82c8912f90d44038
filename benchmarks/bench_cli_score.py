"""`tickerpulse score` on 1,000 texts: wall time of the whole command, against a baseline.

The baseline, measured in the same run, is the same process start-up plus plain VADER over the
same texts (no ticker extraction, no finance rules), so the ratio shows what the finance-aware
scorer and the ticker extractor cost on top. Texts are real WSB comments from ../shared/data when
present, else the project's synthetic sample.

    .venv/bin/python benchmarks/bench_cli_score.py
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WSB = ROOT.parent / "shared" / "data" / "wsb_pushshift_esbenkc" / "wsb_io.csv"
N = 1000

BASELINE = """
import csv, sys
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
a = SentimentIntensityAnalyzer()
rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8")))
with open(sys.argv[2], "w", encoding="utf-8") as out:
    for r in rows:
        out.write(f"{r['id']},{a.polarity_scores(r['text'])['compound']}\\n")
"""


def texts() -> tuple[list[str], str]:
    if WSB.exists():
        with WSB.open(encoding="utf-8") as handle:
            rows = [r["title"] for r in csv.DictReader(handle) if r.get("title")]
        return (rows * (N // len(rows) + 1))[:N], f"real WSB comments ({WSB.name})"
    sample = ROOT / "include/tickerpulse/data/sample/reddit/subreddit=wallstreetbets"
    found = []
    for path in sorted(sample.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            rec = json.loads(line)
            text = rec.get("body") or rec.get("title")
            if isinstance(text, str):
                found.append(text)
    return found[:N], "the synthetic sample (../shared/data absent)"


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> int:
    data, origin = texts()
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "in.csv"
        with src.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["id", "text"])
            writer.writerows([(i, t) for i, t in enumerate(data)])
        cli = [
            sys.executable,
            "-m",
            "tickerpulse.cli",
            "score",
            str(src),
            "--output",
            str(Path(tmp) / "out.csv"),
        ]
        base = [sys.executable, "-c", BASELINE, str(src), str(Path(tmp) / "base.csv")]
        ours = min(timed(cli) for _ in range(3))
        baseline = min(timed(base) for _ in range(3))
    print(f"texts: {len(data)} from {origin}")
    print(f"tickerpulse score (offline): {ours:.2f} s   (target: under 10 s)")
    print(f"baseline, plain VADER:       {baseline:.2f} s")
    print(f"ratio ours/baseline:         {ours / baseline:.2f}x")
    return 0 if ours < 10 else 1


if __name__ == "__main__":
    sys.exit(main())
