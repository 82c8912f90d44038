"""`tickerpulse score`: in-process through main() and as a real process via python -m."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tickerpulse.cli import main

ROOT = Path(__file__).resolve().parents[1]

SYMBOLS_CSV = """\
symbol,name,exchange,is_etf,test_issue,ambiguity,aliases
GME,GameStop Corp.,NYSE,false,false,1.0,GameStop
TSLA,Tesla Inc.,NASDAQ,false,false,1.0,Tesla
DIS,Walt Disney Co.,NYSE,false,false,0.6,Disney|the mouse
CAT,Caterpillar Inc.,NYSE,false,false,0.3,Caterpillar
"""

ROWS = [
    {"id": "t3_a", "text": "GME to the moon 🚀🚀 and $TSLA too"},
    {"id": "t1_b", "text": "buying puts on TSLA, the mouse is overvalued"},
    {"id": "t1_c", "text": ""},
    {"id": "t1_d", "text": "The meeting is on Tuesday."},
]


@pytest.fixture()
def symbols(tmp_path: Path) -> Path:
    path = tmp_path / "symbols.csv"
    path.write_text(SYMBOLS_CSV, encoding="utf-8")
    return path


def write_csv(
    path: Path, rows: list[dict[str, str]], fields: tuple[str, ...] = ("id", "text")
) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def read_output(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_score_csv(tmp_path: Path, symbols: Path) -> None:
    src = write_csv(tmp_path / "in.csv", ROWS, fields=("text", "subreddit", "id"))
    out = tmp_path / "out.csv"
    assert main(["score", str(src), "--output", str(out), "--symbols", str(symbols)]) == 0
    assert out.read_text(encoding="utf-8").splitlines()[0] == "id,sentiment,label,tickers"
    rows = read_output(out)
    assert [r["id"] for r in rows] == ["t3_a", "t1_b", "t1_c", "t1_d"]
    a, b, c, d = rows
    assert a["label"] == "bullish"
    assert a["tickers"] == "GME;TSLA"
    assert b["label"] == "bearish"
    assert b["tickers"] == "TSLA;DIS"
    assert (c["sentiment"], c["label"], c["tickers"]) == ("0.0000", "neutral", "")
    assert (d["sentiment"], d["label"]) == ("0.0000", "neutral")
    for r in rows:
        value = float(r["sentiment"])
        assert -1.0 <= value <= 1.0
        assert len(r["sentiment"].split(".")[1]) == 4


def test_score_jsonl_with_null_and_nan_text(tmp_path: Path, symbols: Path) -> None:
    src = tmp_path / "in.jsonl"
    lines = [json.dumps(r, ensure_ascii=False) for r in ROWS[:2]]
    lines += ['{"id": "n1", "text": null}', '{"id": "n2", "text": NaN}', ""]
    src.write_text("\n".join(lines), encoding="utf-8")
    out = tmp_path / "out.csv"
    assert main(["score", str(src), "-o", str(out), "--symbols", str(symbols)]) == 0
    rows = read_output(out)
    assert [r["id"] for r in rows] == ["t3_a", "t1_b", "n1", "n2"]
    assert [(r["sentiment"], r["label"]) for r in rows[2:]] == [("0.0000", "neutral")] * 2


def test_packaged_symbols_are_the_default(tmp_path: Path) -> None:
    src = write_csv(tmp_path / "in.csv", [{"id": "1", "text": "$GME and Tesla"}])
    out = tmp_path / "out.csv"
    assert main(["score", str(src), "--output", str(out)]) == 0
    assert read_output(out)[0]["tickers"] == "GME;TSLA"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("in.csv", "id,body\n1,hello\n", "missing column(s) text"),
        ("in.jsonl", '{"id": "1"}\n', "line 1 is missing text"),
        ("in.jsonl", "not json\n", "line 1 is not JSON"),
        ("in.txt", "id,text\n1,hello\n", "unsupported extension"),
        ("in.csv", b"id,text\n1,\xff\xfe\n", "not UTF-8"),
    ],
)
def test_bad_input_exits_2_with_a_message(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    content: str | bytes,
    message: str,
) -> None:
    src = tmp_path / name
    if isinstance(content, bytes):
        src.write_bytes(content)
    else:
        src.write_text(content, encoding="utf-8")
    out = tmp_path / "out.csv"
    assert main(["score", str(src), "--output", str(out)]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_missing_file_and_bad_arguments_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["score", str(tmp_path / "nope.csv"), "--output", str(tmp_path / "o.csv")]) == 2
    assert "no such file" in capsys.readouterr().err
    assert main(["score", str(tmp_path / "nope.csv")]) == 2  # --output is required
    assert main(["score", "x.csv", "-o", "y.csv", "--scorer", "magic"]) == 2
    assert main([]) == 2


def test_python_dash_m_process(tmp_path: Path, symbols: Path) -> None:
    src = write_csv(tmp_path / "in.csv", ROWS)
    out = tmp_path / "out.csv"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "include")}
    cmd = [sys.executable, "-m", "tickerpulse.cli", "score", str(src), "--output", str(out)]
    done = subprocess.run(
        [*cmd, "--symbols", str(symbols)], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert [r["id"] for r in read_output(out)] == [r["id"] for r in ROWS]

    bad = write_csv(tmp_path / "bad.csv", ROWS, fields=("id",))
    done = subprocess.run(
        [sys.executable, "-m", "tickerpulse.cli", "score", str(bad), "--output", str(out)],
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    assert "missing column(s) text" in done.stderr


def test_one_thousand_texts_in_input_order(tmp_path: Path, symbols: Path) -> None:
    """1,000 rows, one output row each, in order (timing: benchmarks/bench_cli_score.py)."""
    rows = [
        {"id": str(i), "text": f"{ROWS[i % 4]['text']} — comment {i}, holding CAT shares"}
        for i in range(1000)
    ]
    src = write_csv(tmp_path / "in.csv", rows)
    out = tmp_path / "out.csv"
    assert main(["score", str(src), "--output", str(out), "--symbols", str(symbols)]) == 0
    assert [r["id"] for r in read_output(out)] == [str(i) for i in range(1000)]
