"""One settings object: what it reads, how it parses, where it is documented, who else may read
the environment (nobody), and the two things the DAGs take from it when they are parsed: their
param defaults and the start date."""

from __future__ import annotations

import ast
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg2
import pytest
import yaml

from tickerpulse.choices import LlmPolicy, Scorer
from tickerpulse.config import (
    DAG_START_DATE,
    DEFAULT_SUBREDDITS,
    BeforeStartDate,
    Settings,
    SettingsError,
    load_settings,
)

ROOT = Path(__file__).resolve().parents[1]
ENV_LINE = re.compile(r"^([A-Z][A-Z0-9_]*)=")
# In .env.example for docker compose only: no code reads them (compose or airflow-init does).
COMPOSE_ONLY = {"TICKERPULSE_LAKE_BUCKET", "TICKERPULSE_LLM_POOL_SLOTS"}


# --- reading and parsing ---------------------------------------------------------------------


def test_defaults_without_any_variable() -> None:
    settings = load_settings({})
    assert settings.post_limit == 1000
    assert settings.subreddits == DEFAULT_SUBREDDITS
    assert settings.scorer is Scorer.OFFLINE
    assert settings.llm_policy is LlmPolicy.ALWAYS
    assert settings.start_date == datetime(2024, 3, 4, tzinfo=UTC)
    assert settings.lake_url == (settings.home / "lake").as_uri()
    assert settings.warehouse_on is True


def test_a_mapping_stands_in_for_the_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TICKERPULSE_POST_LIMIT", "7")
    assert load_settings().post_limit == 7
    assert load_settings({}).post_limit == 1000  # the mapping is all that is read
    assert load_settings({"TICKERPULSE_POST_LIMIT": "9"}).post_limit == 9


def test_values_parse_one_way() -> None:
    settings = load_settings(
        {
            "TICKERPULSE_SUBREDDITS": " robinhood, finance ,,SecurityAnalysis ",
            "TICKERPULSE_START_DATE": "2021-01-28",
            "TICKERPULSE_STORE_AUTHOR_NAME": " Yes ",
            "TICKERPULSE_SINK_WAREHOUSE": "OFF",
            "TICKERPULSE_REFRESH_RAW": "1",
            "TICKERPULSE_POST_LIMIT": "   ",  # blank: the default, like unset
            "TICKERPULSE_LLM_PRICES": '{"m": {"in": 1, "out": 2}, "n": [3, 4]}',
            "TICKERPULSE_SOURCE_WEIGHTS": "WallStreetBets=1, stocks=0.8",
            "TICKERPULSE_LAKE_URL": "s3://aws_default@bucket/lake/",
            "DATABASE_URL": "postgresql://u@h/db",
        }
    )
    assert settings.subreddits == ("robinhood", "finance", "securityanalysis")  # as imports write
    assert settings.start_date == datetime(2021, 1, 28, tzinfo=UTC)
    assert settings.store_author_name is True
    assert settings.sink_warehouse is False
    assert settings.refresh_raw is True
    assert settings.post_limit == 1000
    assert settings.llm_prices == {"m": (1.0, 2.0), "n": (3.0, 4.0)}
    assert settings.source_weights == {"wallstreetbets": 1.0, "stocks": 0.8}
    assert settings.lake_url == "s3://aws_default@bucket/lake"
    assert settings.database_url == "postgresql://u@h/db"
    new_york = load_settings({"TICKERPULSE_START_DATE": "2021-01-28T00:00:00-05:00"})
    assert new_york.start_date == datetime(2021, 1, 28, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TICKERPULSE_POST_LIMIT", "lots"),
        ("TICKERPULSE_POST_LIMIT", "0"),
        ("TICKERPULSE_POST_LIMIT", "250001"),
        ("TICKERPULSE_SCORER", "gpt-magic"),
        ("TICKERPULSE_LLM_POLICY", "sometimes"),
        ("TICKERPULSE_SUBREDDITS", "wallstreetbets,bad name"),
        ("TICKERPULSE_START_DATE", "yesterday"),
        ("TICKERPULSE_SINK_WAREHOUSE", "of"),
        ("TICKERPULSE_LLM_SAMPLE_RATE", "2"),
        ("YF_DISABLE_CURL_CFFI", "maybe"),
    ],
)
def test_a_bad_value_is_an_error_that_names_the_variable(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=f"{name}={value!r}"):
        load_settings({name: value})


def test_run_params_lower_case_the_subreddits_as_the_lake_does() -> None:
    from tickerpulse.stages.context import RunParams

    asked = {"subreddits": "Robinhood, robinhood,WallStreetBets"}
    params = RunParams.from_params(asked, Settings())
    assert params.subreddits == ("robinhood", "wallstreetbets")


def test_a_connection_is_read_from_the_same_environment() -> None:
    settings = load_settings({"AIRFLOW_CONN_LLM_DEFAULT": ' {"host": "h"} '})
    assert settings.connection_env("llm_default") == '{"host": "h"}'
    assert settings.connection_env("reddit_default") is None
    copy = settings.model_copy(update={"post_limit": 5})  # a changed copy keeps its environment
    assert copy.connection_env("llm_default") == '{"host": "h"}'


def test_the_start_date_check_says_what_to_set() -> None:
    settings = load_settings({"TICKERPULSE_START_DATE": "2024-03-04T00:00Z"})
    before = datetime(2021, 1, 28, tzinfo=UTC)
    with pytest.raises(BeforeStartDate) as caught:
        settings.check_start_date(before, before + timedelta(minutes=30), "The interval")
    message = str(caught.value)
    assert "before TICKERPULSE_START_DATE (2024-03-04T00:00Z)" in message
    assert "set TICKERPULSE_START_DATE=2021-01-28T00:00Z" in message
    last = datetime(2024, 3, 3, 23, 30, tzinfo=UTC)  # ends exactly at the start date
    with pytest.raises(BeforeStartDate):
        settings.check_start_date(last, last + timedelta(minutes=30), "The interval")
    first = datetime(2024, 3, 4, tzinfo=UTC)
    settings.check_start_date(first, first + timedelta(minutes=30), "The interval")


# --- documented everywhere a user looks ------------------------------------------------------


def _env_example_lines() -> list[str]:
    return (ROOT / ".env.example").read_text(encoding="utf-8").splitlines()


def test_env_example_lists_every_setting_with_a_comment() -> None:
    lines = _env_example_lines()
    where = {m.group(1): i for i, line in enumerate(lines) if (m := ENV_LINE.match(line))}
    missing = sorted(set(Settings.env_vars().values()) - set(where))
    assert not missing, f"read by tickerpulse.config but not in .env.example: {missing}"
    for name, index in where.items():
        above = index - 1
        while above >= 0 and ENV_LINE.match(lines[above]):
            above -= 1  # a group of variables may share one comment
        assert above >= 0, name
        assert lines[above].startswith("#"), f"{name} has no comment above it in .env.example"


def test_env_example_names_no_setting_that_does_not_exist() -> None:
    known = set(Settings.env_vars().values()) | COMPOSE_ONLY
    listed = {m.group(1) for line in _env_example_lines() if (m := ENV_LINE.match(line))}
    stale = sorted(n for n in listed if n.startswith("TICKERPULSE_") and n not in known)
    assert not stale, f"in .env.example but read by nothing: {stale}"


def test_compose_passes_every_setting_to_airflow() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    env = compose["x-airflow-common"]["environment"]
    for name in Settings.env_vars().values():
        assert f"${{{name}" in str(env.get(name, "")), f"{name} does not reach the containers"


def test_readme_configuration_table_lists_every_setting() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    missing = [n for n in Settings.env_vars().values() if f"`{n}`" not in section]
    assert not missing, f"not in the README's configuration table: {missing}"


# --- nobody else reads the environment --------------------------------------------------------

_READERS = {"environ", "environb", "getenv", "getenvb"}


def environment_reads(source: str) -> list[int]:
    """Lines of `source` that read the process environment: os.environ, os.getenv (under any
    name `os` is imported as) or `from os import environ, getenv`."""
    tree = ast.parse(source)
    os_names = {"os"}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            os_names |= {a.asname or a.name for a in node.names if a.name == "os"}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "os":
            if any(a.name in _READERS for a in node.names):
                found.append(node.lineno)
        elif isinstance(node, ast.Attribute) and node.attr in _READERS:
            if isinstance(node.value, ast.Name) and node.value.id in os_names:
                found.append(node.lineno)
    return sorted(found)


def test_the_scan_finds_every_way_of_reading() -> None:
    planted = (
        "import os\nimport os as system\nfrom os import environ\nfrom os import getenv as g\n"
        "a = os.environ['X']\nb = os.getenv('Y')\nc = system.environ.get('Z')\nd = os.path\n"
    )
    assert environment_reads(planted) == [3, 4, 5, 6, 7]


def test_only_the_settings_module_reads_the_environment() -> None:
    files = [
        p
        for folder in ("include", "dags", "plugins")
        for p in sorted((ROOT / folder).rglob("*.py"))
        if p != ROOT / "include" / "tickerpulse" / "config.py"
    ]
    assert len(files) > 50, "the scan found too few files: it is looking in the wrong place"
    readers = {
        str(p.relative_to(ROOT)): lines
        for p in files
        if (lines := environment_reads(p.read_text(encoding="utf-8")))
    }
    assert readers == {}, f"read the environment outside tickerpulse.config: {readers}"


# --- what the DAGs take from the settings when they are parsed --------------------------------


def _parse_dags() -> dict[str, Any]:
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(ROOT / "dags"), safe_mode=False)
    assert bag.import_errors == {}
    return dict(bag.dags)


def _defaults(dag: Any) -> dict[str, Any]:
    return {name: dag.params.get_param(name).value for name in dag.params}


def test_param_defaults_come_from_the_environment(
    airflow_db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in {
        "TICKERPULSE_SUBREDDITS": "robinhood,finance,securityanalysis",
        "TICKERPULSE_POST_LIMIT": "250",
        "TICKERPULSE_SCORER": "llm",
        "TICKERPULSE_LLM_POLICY": "market_hours",
        "TICKERPULSE_REFRESH_RAW": "true",
        "TICKERPULSE_ANALYSIS_WINDOW_DAYS": "10",
        "TICKERPULSE_ANALYSIS_MIN_MENTIONS": "2",
        "TICKERPULSE_ANALYSIS_FETCH_DAILY": "false",
        "TICKERPULSE_EVAL_DATASET": "/data/labelled.csv",
    }.items():
        monkeypatch.setenv(name, value)
    dags = _parse_dags()
    assert _defaults(dags["reddit_sentiment"]) == {
        "subreddits": ["robinhood", "finance", "securityanalysis"],
        "post_limit": 250,
        "scorer": "llm",
        "llm_policy": "market_hours",
        "refresh_raw": True,
    }
    assert _defaults(dags["sentiment_analysis"]) == {
        "window_days": 10,
        "min_mentions": 2,
        "fetch_daily": False,
        "computed_for": "",
    }
    assert _defaults(dags["sentiment_eval"])["dataset"] == "/data/labelled.csv"
    assert _defaults(dags["sentiment_eval"])["scorer"] == "llm"
    assert _defaults(dags["llm_batch_prefill"])["llm_policy"] == "market_hours"
    for dag in dags.values():
        assert dag.start_date == DAG_START_DATE, dag.dag_id
    # The schema still guards a manual run's params, whatever the defaults are.
    dags["reddit_sentiment"].params.validate()
    assert dags["reddit_sentiment"].params.get_param("post_limit").resolve(20) == 20


def test_a_dag_file_with_a_bad_setting_fails_to_import_with_the_reason(
    airflow_db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow.dag_processing.dagbag import DagBag

    monkeypatch.setenv("TICKERPULSE_POST_LIMIT", "lots")
    bag = DagBag(dag_folder=str(ROOT / "dags" / "reddit_sentiment.py"), safe_mode=False)
    (error,) = bag.import_errors.values()
    assert "TICKERPULSE_POST_LIMIT='lots'" in error


def _airflow_context(start: datetime) -> dict[str, Any]:
    return {
        "data_interval_start": start,
        "data_interval_end": start + timedelta(minutes=30),
        "params": {},
        "dag_run": None,
    }


def test_a_task_refuses_an_interval_before_the_start_date(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from airflow.sdk.exceptions import AirflowFailException

    from tickerpulse.airflow_tasks import context_from_airflow

    old = datetime(2021, 1, 28, 15, 0, tzinfo=UTC)
    with pytest.raises(AirflowFailException, match="set TICKERPULSE_START_DATE=2021-01-28T15:00Z"):
        context_from_airflow(_airflow_context(old))
    monkeypatch.setenv("TICKERPULSE_START_DATE", "2021-01-01")
    assert context_from_airflow(_airflow_context(old)).interval.start == old


def test_the_demo_refuses_a_start_before_the_start_date(capsys: pytest.CaptureFixture[str]) -> None:
    from tickerpulse.demo import main

    assert main(["--start", "2021-01-28T00:00:00+00:00", "--intervals", "48"]) == 2
    err = capsys.readouterr().err
    assert "before TICKERPULSE_START_DATE (2024-03-04T00:00Z)" in err
    assert "set TICKERPULSE_START_DATE=2021-01-28T00:00Z" in err


def _fetch(dsn: str, statement: str) -> list[tuple[Any, ...]]:
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(statement)
        return cur.fetchall()


@pytest.mark.slow
def test_dag_test_before_the_start_date_fails_loudly_and_writes_nothing(
    airflow_db: None, pipeline_env: dict[str, str]
) -> None:
    """Airflow alone would report success with no task run; the first task fails instead, once
    (no retries), and the failure is recorded with the message."""
    dag = _parse_dags()["reddit_sentiment"]
    assert dag.get_task("extract").retries == 2
    dag_run = dag.test(logical_date=datetime(2024, 3, 4, 0, 0, tzinfo=UTC))  # 03-03 23:30–00:00
    assert str(getattr(dag_run.state, "value", dag_run.state)) == "failed"
    tis = {ti.task_id: ti for ti in dag_run.get_task_instances()}
    assert str(tis["extract"].state).endswith("failed")
    assert tis["extract"].try_number == 1  # failed for good, not retried
    assert all(str(tis[t].state).endswith("upstream_failed") for t in ("validate", "load"))
    events = _fetch(
        pipeline_env["DATABASE_URL"],
        "SELECT dag_id, task_id, message FROM tickerpulse.run_events",
    )
    assert [(d, t) for d, t, _ in events] == [("reddit_sentiment", "extract")]
    assert (
        "The interval 2024-03-03 23:30–00:00 UTC is before TICKERPULSE_START_DATE" in events[0][2]
    )
    assert "set TICKERPULSE_START_DATE=2024-03-03T23:30Z" in events[0][2]
    lake = Path(pipeline_env["TICKERPULSE_LAKE_URL"].removeprefix("file://"))
    assert not list(lake.rglob("*.parquet"))


@pytest.mark.slow
def test_a_run_without_params_reads_the_subreddits_of_the_environment(
    airflow_db: None, pipeline_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a scheduled run or a backfill does: no conf, so the parsed defaults decide."""
    monkeypatch.setenv("TICKERPULSE_SUBREDDITS", "stocks")
    dag = _parse_dags()["reddit_sentiment"]
    for task in dag.tasks:
        task.retries = 0
    dag_run = dag.test(logical_date=datetime(2024, 3, 5, 15, 0, tzinfo=UTC))
    assert str(getattr(dag_run.state, "value", dag_run.state)) == "success"
    subreddits = _fetch(
        pipeline_env["DATABASE_URL"], "SELECT DISTINCT subreddit FROM tickerpulse.posts"
    )
    assert subreddits == [("stocks",)]
