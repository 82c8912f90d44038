"""The sink switches: Variable over environment over "on", and a typo is an error, not "off"."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tickerpulse.ops.switches import (
    effective_lake_url,
    effective_scorer,
    sink_enabled,
    warehouse_enabled,
)


def _variables(values: dict[str, str]) -> Callable[[str], str | None]:
    return lambda key: values.get(key)


def test_default_is_on_and_env_turns_a_sink_off() -> None:
    assert sink_enabled("warehouse", env={}, get_variable=None) is True
    assert sink_enabled("warehouse", {"TICKERPULSE_SINK_WAREHOUSE": "OFF"}, None) is False
    assert sink_enabled("warehouse", {"TICKERPULSE_SINK_WAREHOUSE": " 0 "}, None) is False
    assert sink_enabled("warehouse", {"TICKERPULSE_SINK_WAREHOUSE": ""}, None) is True


def test_airflow_variable_overrides_the_environment() -> None:
    env = {"TICKERPULSE_SINK_LLM_SCORING": "off"}
    on = _variables({"tickerpulse_sink_llm_scoring": "true"})
    assert sink_enabled("llm_scoring", env, on) is True
    assert sink_enabled("llm_scoring", env, _variables({})) is False


@pytest.mark.parametrize("raw", ["of", "disabled", "2"])
def test_a_typo_fails_loudly(raw: str) -> None:
    with pytest.raises(ValueError, match="TICKERPULSE_SINK_WAREHOUSE"):
        sink_enabled("warehouse", {"TICKERPULSE_SINK_WAREHOUSE": raw}, None)
    with pytest.raises(ValueError, match="unknown sink"):
        sink_enabled("posts", {}, None)


def test_effective_values_follow_the_switches(tmp_path: Path) -> None:
    off = {
        "TICKERPULSE_SINK_OBJECT_STORE": "off",
        "TICKERPULSE_SINK_LLM_SCORING": "off",
        "TICKERPULSE_SINK_WAREHOUSE": "no",
    }
    lake = "s3://aws_default@bucket/lake"
    assert effective_lake_url(lake, tmp_path, {}, None) == lake
    assert effective_lake_url(lake, tmp_path, off, None) == (tmp_path / "lake-local").as_uri()
    assert effective_scorer("llm", {}, None) == "llm"
    assert effective_scorer("llm", off, None) == "offline"
    assert effective_scorer("offline", off, None) == "offline"
    assert warehouse_enabled(off, None) is False


def test_variable_lookup_outside_a_task(monkeypatch: pytest.MonkeyPatch) -> None:
    from tickerpulse.ops.switches import airflow_variable

    monkeypatch.setenv("AIRFLOW_VAR_TICKERPULSE_SINK_WAREHOUSE", "off")
    assert airflow_variable("tickerpulse_sink_warehouse") == "off"  # AIRFLOW_VAR_* backend
    monkeypatch.delenv("AIRFLOW_VAR_TICKERPULSE_SINK_WAREHOUSE")
    assert airflow_variable("tickerpulse_sink_no_such_switch") is None
