"""The sink switches: Variable over environment over "on", and a typo is an error, not "off"."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tickerpulse.config import Settings, load_settings
from tickerpulse.ops.switches import (
    SINKS,
    effective_lake_url,
    effective_scorer,
    resolve_switches,
    sink_enabled,
    warehouse_enabled,
)


def _variables(values: dict[str, str]) -> Callable[[str], str | None]:
    return lambda key: values.get(key)


def _env(**values: str) -> Settings:
    """Settings from exactly these variables, whatever the test process has set."""
    return load_settings({f"TICKERPULSE_{k.upper()}": v for k, v in values.items()})


def test_default_is_on_and_env_turns_a_sink_off() -> None:
    assert sink_enabled("warehouse", _env(), get_variable=None) is True
    assert sink_enabled("warehouse", _env(sink_warehouse="OFF"), None) is False
    assert sink_enabled("warehouse", _env(sink_warehouse=" 0 "), None) is False
    assert sink_enabled("warehouse", _env(sink_warehouse=""), None) is True


def test_airflow_variable_overrides_the_environment() -> None:
    env = _env(sink_llm_scoring="off")
    on = _variables({"tickerpulse_sink_llm_scoring": "true"})
    assert sink_enabled("llm_scoring", env, on) is True
    assert sink_enabled("llm_scoring", env, _variables({})) is False


@pytest.mark.parametrize("raw", ["of", "disabled", "2"])
def test_a_typo_fails_loudly(raw: str) -> None:
    with pytest.raises(ValueError, match="TICKERPULSE_SINK_WAREHOUSE"):
        sink_enabled("warehouse", _env(sink_warehouse=raw), None)
    with pytest.raises(ValueError, match="Variable tickerpulse_sink_warehouse"):
        sink_enabled("warehouse", _env(), _variables({"tickerpulse_sink_warehouse": raw}))
    with pytest.raises(ValueError, match="unknown sink"):
        sink_enabled("posts", _env(), None)


def test_effective_values_follow_the_switches(tmp_path: Path) -> None:
    off = _env(sink_object_store="off", sink_llm_scoring="off", sink_warehouse="no")
    lake = "s3://aws_default@bucket/lake"
    assert effective_lake_url(lake, tmp_path, _env(), None) == lake
    assert effective_lake_url(lake, tmp_path, off, None) == (tmp_path / "lake-local").as_uri()
    assert effective_scorer("llm", _env(), None) == "llm"
    assert effective_scorer("llm", off, None) == "offline"
    assert effective_scorer("offline", off, None) == "offline"
    assert warehouse_enabled(off, None) is False


def test_a_task_resolves_every_switch_once(tmp_path: Path) -> None:
    """Variables win over the environment; the result lands in the settings the stages read."""
    env = _env(home=str(tmp_path), lake_url="s3://aws_default@bucket/lake", sink_warehouse="off")
    asked: list[str] = []

    def variables(key: str) -> str | None:
        asked.append(key)
        return {"tickerpulse_sink_warehouse": "on", "tickerpulse_sink_object_store": "off"}.get(key)

    resolved = resolve_switches(env, variables)
    assert sorted(asked) == sorted(f"tickerpulse_sink_{s}" for s in SINKS)
    assert resolved.warehouse_on is True
    assert resolved.sink_object_store is False
    assert resolved.lake_url == (tmp_path / "lake-local").as_uri()
    assert resolved.sink_llm_scoring is True
    assert env.lake_url == "s3://aws_default@bucket/lake"  # the input is left as it was


def test_variable_lookup_outside_a_task(monkeypatch: pytest.MonkeyPatch) -> None:
    from tickerpulse.ops.switches import airflow_variable

    monkeypatch.setenv("AIRFLOW_VAR_TICKERPULSE_SINK_WAREHOUSE", "off")
    assert airflow_variable("tickerpulse_sink_warehouse") == "off"  # AIRFLOW_VAR_* backend
    monkeypatch.delenv("AIRFLOW_VAR_TICKERPULSE_SINK_WAREHOUSE")
    assert airflow_variable("tickerpulse_sink_no_such_switch") is None
