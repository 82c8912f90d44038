"""Connections from AIRFLOW_CONN_* variables, run params, and the lock-file check."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from tools.lockcheck import problems

from tickerpulse.config import load_settings
from tickerpulse.connections import get_connection, postgres_dsn
from tickerpulse.stages.context import RunParams

ROOT = Path(__file__).resolve().parents[1]


def test_connection_from_json_and_uri(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "AIRFLOW_CONN_LLM_TEST",
        json.dumps(
            {
                "conn_type": "generic",
                "host": "http://127.0.0.1:9/v1",
                "password": "k",
                "extra": {"model": "m"},
            }
        ),
    )
    conn = get_connection("llm_test")
    assert conn is not None
    assert conn["extra"] == {"model": "m"}
    assert conn["password"] == "k"
    monkeypatch.setenv("AIRFLOW_CONN_PG_TEST", "postgres://u:p%40ss@db.local:5433/wh")
    pg = get_connection("pg_test")
    assert pg is not None
    assert (pg["login"], pg["password"], pg["port"]) == ("u", "p@ss", 5433)
    assert postgres_dsn(pg) == "host='db.local' port='5433' dbname='wh' user='u' password='p@ss'"


def test_run_params_override_settings_and_reject_bad_values(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TICKERPULSE_SUBREDDITS", "stocks")
    settings = load_settings()
    assert RunParams.from_params({}, settings).subreddits == ("stocks",)
    params = RunParams.from_params({"subreddits": ["b", "a", "a"], "post_limit": 5}, settings)
    assert (params.subreddits, params.post_limit, params.scorer) == (("a", "b"), 5, "offline")
    with pytest.raises(ValueError):
        RunParams.from_params({"scorer": "magic"}, settings)


def test_lock_matches_pyproject() -> None:
    assert problems(ROOT / "pyproject.toml", ROOT / "requirements.lock") == []


def test_lock_check_fails_when_pyproject_changes(tmp_path: Path) -> None:
    shutil.copy(ROOT / "requirements.lock", tmp_path / "requirements.lock")
    text = (ROOT / "pyproject.toml").read_text()
    (tmp_path / "pyproject.toml").write_text(
        text.replace('"praw>=7.7",', '"praw>=7.7",\n    "left-pad>=1.0",')
    )
    found = problems(tmp_path / "pyproject.toml", tmp_path / "requirements.lock")
    assert any("changed since the lock" in p for p in found)
    assert any("left-pad is not pinned" in p for p in found)
