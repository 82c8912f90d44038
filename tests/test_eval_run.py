"""`tickerpulse eval` end to end: metrics printed, report written, runs stored in a real Postgres,
bad input is exit code 2, and the LLM path goes through a real OpenAI-protocol server."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import psycopg2
import pytest

from tests.conftest import shared_data
from tests.servers.openai_server import OpenAIServer
from tickerpulse.cli import main
from tickerpulse.evaluation.runner import run_eval
from tickerpulse.evaluation.store import recent_runs

ROWS = [
    {"id": "a", "text": "Loaded up on $GME calls, to the moon 🚀", "label": "bullish"},
    {"id": "b", "text": "Operating profit fell to EUR 3 mn from EUR 5 mn .", "label": "negative"},
    {"id": "c", "text": "The annual meeting is on Tuesday.", "label": "neutral"},
    {
        "id": "d",
        "text": "Good time to sell, we are about to make a ton of money",
        "label": "bearish",
    },
    {"id": "e", "text": "What a great day, I love this community", "label": "neutral"},
]


def write_jsonl(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


def test_phrasebank_gate_offline_beats_vader_in_the_same_run(tmp_path: Path) -> None:
    path = shared_data("financial_phrasebank", "Sentences_AllAgree.txt")
    offline, vader = run_eval(
        path, "offline", started_at=datetime.now(UTC), report_path=tmp_path / "r.md"
    )
    print(
        f"\nPhraseBank AllAgree n={offline.n}: offline accuracy {offline.accuracy:.3f} "
        f"macro-F1 {offline.macro_f1:.3f} | VADER accuracy {vader.accuracy:.3f} "
        f"macro-F1 {vader.macro_f1:.3f}"
    )
    assert offline.n == vader.n == 2263
    assert abs(vader.accuracy - 0.571) < 0.01, "the baseline is generic VADER at ±0.05"
    assert offline.accuracy >= 0.75
    assert offline.macro_f1 >= 0.65
    report = (tmp_path / "r.md").read_text(encoding="utf-8")
    assert report.count("\n### L") == len(offline.misclassified()) > 0


def test_cli_prints_metrics_writes_report_and_stores_both_runs(
    tmp_path: Path,
    fresh_db: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DATABASE_URL", fresh_db)
    data = write_jsonl(tmp_path / "gold.jsonl", ROWS)
    report = tmp_path / "report.md"
    assert main(["eval", str(data), "--report", str(report)]) == 0
    out = capsys.readouterr().out
    assert "offline: lexicon-v2 on gold.jsonl (n=5" in out
    assert "accuracy 0.800   macro-F1" in out  # only the mood-only neutral line is wrong
    assert "gold \\ predicted" in out
    assert "offline vs vader:" in out
    text = report.read_text(encoding="utf-8")
    assert "### e: gold neutral, predicted bullish" in text
    assert "What a great day" in text
    assert "reasoning: cues: +love, +great" in text

    runs = recent_runs(fresh_db)
    assert sorted(r["scorer"] for r in runs) == ["offline", "vader"]
    offline = next(r for r in runs if r["scorer"] == "offline")
    assert offline["n"] == 5
    assert offline["accuracy"] == pytest.approx(0.8)
    assert offline["confusion"]["neutral"]["bullish"] == 1
    assert offline["per_class"]["bearish"]["support"] == 2
    assert offline["pearson"] is None
    assert offline["report_path"] == str(report)
    with psycopg2.connect(fresh_db) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT has_table_privilege('tickerpulse_reader', 'tickerpulse.eval_runs', 'SELECT')"
        )
        assert cur.fetchone()[0] is True


def test_dag_style_runs_replace_their_rows_and_keep_scores_metrics(
    tmp_path: Path, fresh_db: str
) -> None:
    rows = [
        {"id": "1", "text": "$AAPL breaking out, loading up", "score": 0.7},
        {"id": "2", "text": "$TSLA puts printing, this is going to zero", "score": -0.8},
        {"id": "3", "text": "$MSFT earnings call at 5pm", "score": 0.0},
        {"id": "4", "text": "$AMD beat estimates, strong guidance", "score": 0.5},
    ]
    data = write_jsonl(tmp_path / "micro.jsonl", rows)
    logical = datetime(2024, 3, 5, 14, 0, tzinfo=UTC)
    for _ in range(2):  # a retry of the same DAG run
        [result] = run_eval(
            data, "offline", started_at=logical, baseline=None, store=fresh_db, run_key="manual__1"
        )
    runs = recent_runs(fresh_db)
    assert len(runs) == 1
    assert runs[0]["run_key"] == "manual__1:offline"
    assert runs[0]["started_at"] == logical
    assert result.accuracy == 1.0
    assert result.pearson is not None
    assert result.pearson > 0.8
    assert runs[0]["cosine"] == pytest.approx(result.cosine)
    assert runs[0]["spearman"] == pytest.approx(result.spearman)


def test_llm_scorer_path_against_a_real_openai_protocol_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data = write_jsonl(tmp_path / "gold.jsonl", ROWS)
    with OpenAIServer() as server:
        monkeypatch.setenv("TICKERPULSE_LLM_BASE_URL", server.base_url)
        monkeypatch.setenv("TICKERPULSE_LLM_API_KEY", "test-key")
        monkeypatch.setenv("TICKERPULSE_LLM_MODEL", "test-model")
        report = tmp_path / "llm.md"
        code = main(
            [
                "eval",
                str(data),
                "--scorer",
                "llm",
                "--prompt-version",
                "v1",
                "--report",
                str(report),
                "--no-store",
                "--no-baseline",
            ]
        )
        [request] = server.completions()
        sent = server.posts_sent(request)
    assert code == 0
    assert [p["id"] for p in sent] == ["a", "b", "c", "d", "e"]
    assert all(p["tickers"] == ["SUBJECT"] for p in sent)
    out = capsys.readouterr().out
    # the test server's keyword rule: moon -> bullish, sell -> bearish, else neutral
    assert "llm: test-model@v1 (model test-model) on gold.jsonl (n=5" in out
    assert "accuracy 0.800" in out
    assert "Says 'moon'" not in report.read_text(encoding="utf-8")  # a right answer is not listed
    assert "No directional keyword." in report.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "argv",
    [
        ["eval", "{tmp}/nope.csv", "--no-store"],
        ["eval", "{tmp}/bad.csv", "--no-store"],
        ["eval", "{tmp}/ok.csv", "--no-store", "--scorer", "magic"],
        ["eval", "{tmp}/ok.csv", "--no-store", "--prompt-version", "v1"],
        ["eval", "{tmp}/ok.csv", "--no-store", "--scorer", "llm"],
        ["eval", "{tmp}/ok.csv", "--no-store", "--report", "{tmp}/no/such/dir/r.md"],
    ],
)
def test_bad_input_is_exit_code_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, argv: list[str]
) -> None:
    for name in ("TICKERPULSE_LLM_BASE_URL", "TICKERPULSE_LLM_API_KEY", "TICKERPULSE_LLM_MODEL"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "bad.csv").write_text("id,text,label\n1,a,maybe\n", encoding="utf-8")
    (tmp_path / "ok.csv").write_text("id,text,label\n1,a,neutral\n", encoding="utf-8")
    assert main([a.replace("{tmp}", str(tmp_path)) for a in argv]) == 2


def test_unknown_prompt_version_is_exit_code_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "ok.csv").write_text("id,text,label\n1,a,neutral\n", encoding="utf-8")
    monkeypatch.setenv("TICKERPULSE_LLM_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("TICKERPULSE_LLM_API_KEY", "k")
    monkeypatch.setenv("TICKERPULSE_LLM_MODEL", "m")
    argv = ["eval", str(tmp_path / "ok.csv"), "--scorer", "llm", "--prompt-version", "v999"]
    assert main([*argv, "--no-store"]) == 2
