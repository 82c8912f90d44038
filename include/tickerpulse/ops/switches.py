"""Turn each sink on or off without a code change: object store, warehouse, LLM scoring.

A switch is read when a task runs, never when the DAG file is parsed, so flipping it takes effect
on the next task without restarting anything. Resolution, first match wins:

1. the Airflow Variable `tickerpulse_sink_<name>` (UI: Admin → Variables), so an operator can flip
   it on a running stack;
2. the environment variable `TICKERPULSE_SINK_<NAME>` (compose `.env`, a Kubernetes ConfigMap);
3. on.

Values: on/off, true/false, 1/0, yes/no (any case; `tickerpulse.config.parse_flag`, the syntax of
every boolean setting). Anything else is an error, not "off": a typo must not silently stop the
warehouse. A task resolves the three switches once, when it starts (`resolve_switches`, called by
`tickerpulse.airflow_tasks.settings_for_task`), into the `sink_*` fields of its settings.

What "off" means:

* `object_store`: intermediate and raw files go to a local scratch folder under TICKERPULSE_HOME
  instead of TICKERPULSE_LAKE_URL (the pipeline still needs somewhere to hand files between tasks).
* `warehouse`: load and aggregate compute their counts and log them but write nothing to Postgres;
  the run-metrics listener also stops writing.
* `llm_scoring`: runs that ask for the `llm` scorer use the offline scorer instead (no paid
  calls), and say so in the log.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from tickerpulse.choices import Scorer
from tickerpulse.config import Settings, load_settings, parse_flag

log = logging.getLogger(__name__)

SINKS = ("object_store", "warehouse", "llm_scoring")

VariableGetter = Callable[[str], str | None]


def variable_name(sink: str) -> str:
    return f"tickerpulse_sink_{sink}"


def airflow_variable(key: str) -> str | None:
    """The Airflow Variable `key`, or None when it is unset or Airflow cannot be asked.

    Inside a task this goes through the Task SDK (the API server); outside one (a CLI, a test)
    Airflow may have no way to answer, which means "unset", not an error.
    """
    try:
        from airflow.sdk import Variable
    except ImportError:  # pragma: no cover - Airflow is a hard dependency
        return None
    try:
        value = Variable.get(key, default=None)
    except Exception:  # noqa: BLE001 - no task context, no metadata DB: treat as unset
        return None
    return None if value is None else str(value)


def sink_enabled(
    sink: str,
    settings: Settings | None = None,
    get_variable: VariableGetter | None = airflow_variable,
) -> bool:
    """Whether `sink` (one of SINKS) is on now: the Variable, else the setting `sink_<name>`."""
    if sink not in SINKS:
        raise ValueError(f"unknown sink {sink!r}; known: {SINKS}")
    if get_variable is not None:
        raw = get_variable(variable_name(sink))
        if raw is not None and raw.strip():
            return parse_flag(raw, f"Variable {variable_name(sink)}")
    settings = load_settings() if settings is None else settings
    return bool(getattr(settings, f"sink_{sink}"))


def effective_lake_url(
    lake_url: str,
    home: Path,
    settings: Settings | None = None,
    get_variable: VariableGetter | None = airflow_variable,
) -> str:
    """The lake URL to use now: the configured one, or local scratch when object_store is off."""
    if sink_enabled("object_store", settings, get_variable):
        return lake_url
    return _scratch_lake(lake_url, home)


def _scratch_lake(lake_url: str, home: Path) -> str:
    scratch = (home / "lake-local").resolve().as_uri()
    log.warning("sink object_store is off: writing %s instead of %s", scratch, lake_url)
    return scratch


def effective_scorer(
    requested: str,
    settings: Settings | None = None,
    get_variable: VariableGetter | None = airflow_variable,
) -> str:
    """The scorer to use now: `requested`, but `llm` becomes `offline` when LLM scoring is off."""
    if requested == Scorer.LLM and not sink_enabled("llm_scoring", settings, get_variable):
        log.warning("sink llm_scoring is off: scoring with the offline scorer instead of the LLM")
        return Scorer.OFFLINE.value
    return requested


def warehouse_enabled(
    settings: Settings | None = None,
    get_variable: VariableGetter | None = airflow_variable,
) -> bool:
    """Whether load/aggregate (and the metrics listener) may write to Postgres now."""
    enabled = sink_enabled("warehouse", settings, get_variable)
    if not enabled:
        log.warning("sink warehouse is off: nothing is written to Postgres")
    return enabled


def resolve_switches(
    settings: Settings, get_variable: VariableGetter | None = airflow_variable
) -> Settings:
    """The settings a task runs with: each switch looked up once (Variable, then environment)
    into its `sink_*` field, and the lake moved to local scratch when object_store is off."""
    switched = {f"sink_{sink}": sink_enabled(sink, settings, get_variable) for sink in SINKS}
    lake_url = settings.lake_url
    if not switched["sink_object_store"]:
        lake_url = _scratch_lake(lake_url, settings.home)
    if not switched["sink_warehouse"]:
        log.warning("sink warehouse is off: nothing is written to Postgres")
    return settings.model_copy(update={"lake_url": lake_url, **switched})
