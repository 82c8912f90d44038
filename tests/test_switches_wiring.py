"""The sink switches reach the stages: the task context applies them when a task runs."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tickerpulse.airflow_tasks import context_from_airflow

START = datetime(2024, 3, 5, 15, 0, tzinfo=UTC)
END = datetime(2024, 3, 5, 15, 30, tzinfo=UTC)


def _context(scorer: str) -> dict[str, object]:
    return {
        "data_interval_start": START,
        "data_interval_end": END,
        "params": {"scorer": scorer},
        "dag_run": None,
    }


def test_switches_default_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TICKERPULSE_LAKE_URL", "s3://aws_default@bucket/lake")
    ctx = context_from_airflow(_context("llm"))
    assert ctx.settings.warehouse_on
    assert ctx.params.scorer == "llm"
    assert ctx.settings.lake_url == "s3://aws_default@bucket/lake"


def test_switches_off_change_lake_warehouse_and_scorer(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    monkeypatch.setenv("TICKERPULSE_LAKE_URL", "s3://aws_default@bucket/lake")
    monkeypatch.setenv("TICKERPULSE_SINK_OBJECT_STORE", "off")
    monkeypatch.setenv("TICKERPULSE_SINK_WAREHOUSE", "off")
    monkeypatch.setenv("TICKERPULSE_SINK_LLM_SCORING", "off")
    ctx = context_from_airflow(_context("llm"))
    assert not ctx.settings.warehouse_on
    assert ctx.params.scorer == "offline"
    assert ctx.settings.lake_url.startswith("file://")
    assert ctx.interval.start == START


def test_a_typo_is_an_error_not_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TICKERPULSE_SINK_WAREHOUSE", "of")
    with pytest.raises(ValueError):
        context_from_airflow(_context("offline"))
