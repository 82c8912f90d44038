"""Dataset readers: PhraseBank (latin-1 `sentence@label`), CSV and JSON Lines, labels or scores."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from tickerpulse.evaluation.datasets import DatasetError, read_dataset


def test_phrasebank_latin1_last_at_stray_lines_and_0x85(tmp_path: Path) -> None:
    raw = (
        "Sales rose 5 % to EUR 10 mn .@positive\n"
        "1\n"  # the stray line of Sentences_AllAgree.txt
        "Contact: info@example.com , the unit\x85s loss widened .@negative\r\n"
        "M\xe4kel\xe4 said the meeting is on Tuesday .@neutral\n"
    ).encode("latin-1")
    path = tmp_path / "Sentences_Test.txt"
    path.write_bytes(raw)
    ds = read_dataset(path)
    assert [(e.id, e.label) for e in ds.examples] == [
        ("L1", "bullish"),
        ("L3", "bearish"),
        ("L4", "neutral"),
    ]
    assert ds.examples[1].text == "Contact: info@example.com , the unit\x85s loss widened ."
    assert ds.examples[2].text.startswith("Mäkelä")
    assert ds.name == "Sentences_Test.txt"
    assert ds.sha256 == hashlib.sha256(raw).hexdigest()
    assert not ds.has_scores


def test_csv_with_labels_in_both_vocabularies(tmp_path: Path) -> None:
    path = tmp_path / "gold.csv"
    path.write_text(
        'id,text,label\na,"buying calls, 🚀",Bullish\nb,"line one\nline two",negative\n'
        "c,meh,neutral\n",
        encoding="utf-8",
    )
    ds = read_dataset(path)
    assert [(e.id, e.label, e.score) for e in ds.examples] == [
        ("a", "bullish", None),
        ("b", "bearish", None),
        ("c", "neutral", None),
    ]
    assert ds.examples[1].text == "line one\nline two"


def test_jsonl_with_continuous_scores(tmp_path: Path) -> None:
    path = tmp_path / "micro.jsonl"
    rows = [
        {"id": 1, "text": "$AAPL breaking out", "score": 0.62},
        {"id": "2", "text": "$TSLA puts", "score": -0.4},
        {"id": "3", "text": "$MSFT flat", "score": 0.0},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n\n", encoding="utf-8")
    ds = read_dataset(path)
    assert ds.has_scores
    assert [(e.id, e.label, e.score) for e in ds.examples] == [
        ("1", "bullish", 0.62),
        ("2", "bearish", -0.4),
        ("3", "neutral", 0.0),
    ]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("x.csv", "id,body,label\n1,a,positive\n", "missing text"),
        ("x.csv", "id,text,label\n1,a,happy\n", "unknown label 'happy'"),
        ("x.csv", "id,text,score\n1,a,1.5\n", "outside [-1, 1]"),
        ("x.csv", "id,text,score\n1,a,lots\n", "not a number"),
        ("x.csv", "id,text\n1,a\n", "neither a label nor a score"),
        ("x.csv", "id,text,label\n1,a,neutral\n1,b,neutral\n", "more than once"),
        ("x.jsonl", '{"id": "1", "text": "a", "label": "neutral"}\n[1]\n', "not a JSON object"),
        ("x.jsonl", "{nope\n", "not JSON"),
        ("x.txt", "no label here\n", "no labelled examples"),
        ("x.txt", "a sentence@great\n", "unknown label"),
        ("x.parquet", "", "unsupported extension"),
    ],
)
def test_bad_files_say_where_and_why(tmp_path: Path, name: str, content: str, message: str) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(DatasetError, match=message.replace("[", r"\[").replace("]", r"\]")):
        read_dataset(path)


def test_missing_file_and_bad_encoding(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="no such file"):
        read_dataset(tmp_path / "nope.csv")
    bad = tmp_path / "latin.csv"
    bad.write_bytes("id,text,label\n1,M\xe4kel\xe4,neutral\n".encode("latin-1"))
    with pytest.raises(DatasetError, match="not UTF-8"):
        read_dataset(bad)
