"""Offline checks of the Grafana provisioning: files parse, panel SQL reads only real warehouse
tables, and the datasource logs in as the SELECT-only role.

A dashboard that names a table the migrations never create, or a datasource that connects as the
loader, would both look fine until someone opened Grafana; these tests make them fail in CI.
Running the panel SQL against a real Postgres, as the reader, is tests/test_grafana_panels.py.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
GRAFANA = ROOT / "grafana"
DATASOURCE_FILE = GRAFANA / "provisioning/datasources/tickerpulse.yaml"
PROVIDER_FILE = GRAFANA / "provisioning/dashboards/provider.yaml"
DASHBOARD_DIR = GRAFANA / "dashboards"
OVERVIEW = DASHBOARD_DIR / "overview.json"
ALERTS_FILE = GRAFANA / "provisioning/alerting/tickerpulse.yaml"
BUILDER = GRAFANA / "build_dashboards.py"
MIGRATIONS = sorted((ROOT / "sql").glob("[0-9][0-9][0-9]_*.sql"))
ROLES_SQL = ROOT / "sql/002_roles.sql"
SERVING_SQL = ROOT / "sql/004_serving.sql"
GENERATED = {"overview", "ticker", "leaderboard", "data_quality", "pipeline", "sentiment_price"}
# Panels about "now" rather than the time picker.
NOT_TIME_BOUNDED = {"Freshness: minutes since the latest loaded interval"}
POSTGRES_INIT_DIR = ROOT / "docker/postgres-init"

READER_ROLE = "tickerpulse_reader"

_CREATE_TABLE = re.compile(
    r"CREATE\s+(?:TABLE|(?:OR\s+REPLACE\s+)?FUNCTION)\s+(?:IF\s+NOT\s+EXISTS\s+)?"
    r"tickerpulse\.(\w+)",
    re.IGNORECASE,
)
_SCHEMA_REF = re.compile(r"\btickerpulse\.(\w+)", re.IGNORECASE)
_FROM_TARGET = re.compile(r"\b(?:FROM|JOIN)\s+([A-Za-z_][\w.]*)", re.IGNORECASE)
_CTE_NAME = re.compile(r"(?:\bWITH|,)\s*([A-Za-z_]\w*)\s+AS\s*\(", re.IGNORECASE)
_COMMENT = re.compile(r"--[^\n]*")
# FROM inside extract(field FROM x) is not a table; LATERAL introduces a subquery.
_NOT_A_TABLE_FROM = re.compile(r"\bextract\s*\(\s*\w+\s+FROM\b|\bLATERAL\b", re.IGNORECASE)
_WRITE_SQL = re.compile(
    r"\b(INSERT|UPDATE|DELETE|TRUNCATE|DROP|ALTER\s+TABLE|CREATE|GRANT|COPY)\b", re.IGNORECASE
)


def warehouse_tables() -> set[str]:
    """Tables and functions the migrations create in schema tickerpulse."""
    text = "\n".join(path.read_text(encoding="utf-8") for path in MIGRATIONS)
    tables = set(_CREATE_TABLE.findall(text))
    assert {"posts", "sentiment_30m", "sentiment_1d", "ticker_totals"} <= tables, tables
    return tables


def sql_problems(sql: str, tables: set[str]) -> list[str]:
    """What is wrong with one panel query, as far as can be told without a database.

    Every relation read must be a CTE of the same query or a tickerpulse table that the
    migrations create; a bare or other-schema table would fail on the reader role, which has
    USAGE on tickerpulse only.
    """
    problems: list[str] = []
    sql = _NOT_A_TABLE_FROM.sub("(", _COMMENT.sub("", sql))
    ctes = {name.lower() for name in _CTE_NAME.findall(sql)}
    for name in _SCHEMA_REF.findall(sql):
        if name not in tables:
            problems.append(f"unknown table tickerpulse.{name}")
    for target in _FROM_TARGET.findall(sql):
        if target.lower() in ctes:
            continue
        schema, _, table = target.rpartition(".")
        if schema.lower() != "tickerpulse":
            problems.append(f"reads {target}, which is not a tickerpulse table")
        elif table not in tables:
            problems.append(f"unknown table {target}")
    if not _FROM_TARGET.search(sql):
        problems.append("reads no table")
    if _WRITE_SQL.search(sql):
        problems.append("writes or changes the database")
    return problems


def load_yaml(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), path
    return data


def load_dashboard(path: Path = OVERVIEW) -> dict[str, Any]:
    data = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), path
    return data


def datasource() -> dict[str, Any]:
    sources = load_yaml(DATASOURCE_FILE)["datasources"]
    assert len(sources) == 1
    source = sources[0]
    assert isinstance(source, dict)
    return source


def panel_queries(dashboard: dict[str, Any]) -> list[tuple[dict[str, Any], str]]:
    out: list[tuple[dict[str, Any], str]] = []
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            out.append((panel, target.get("rawSql", "")))
    return out


# --- files parse -------------------------------------------------------------------------------


def test_every_provisioning_file_parses() -> None:
    files = sorted((GRAFANA / "provisioning").rglob("*.y*ml"))
    assert {DATASOURCE_FILE, PROVIDER_FILE} <= set(files)
    for path in files:
        assert load_yaml(path)["apiVersion"] == 1, path
    dashboards = sorted(DASHBOARD_DIR.glob("*.json"))
    assert OVERVIEW in dashboards
    uids = [load_dashboard(path)["uid"] for path in dashboards]
    assert len(uids) == len(set(uids)), "two dashboards share a uid"


def test_dashboard_provider_reads_files_and_keeps_them_authoritative() -> None:
    provider = load_yaml(PROVIDER_FILE)["providers"][0]
    assert provider["type"] == "file"
    assert provider["allowUiUpdates"] is False
    assert provider["options"]["path"]


# --- the datasource ----------------------------------------------------------------------------


def _grafana_login_roles() -> dict[str, set[str]]:
    """Login role -> group roles granted to it in the docker postgres init scripts."""
    text = "\n".join(p.read_text(encoding="utf-8") for p in sorted(POSTGRES_INIT_DIR.glob("*")))
    grants: dict[str, set[str]] = {}
    for group, member in re.findall(r"GRANT\s+(\w+)\s+TO\s+(\w+)\s*;", text, re.IGNORECASE):
        grants.setdefault(member, set()).add(group)
    return grants


def test_datasource_is_postgres_with_secrets_from_the_environment() -> None:
    source = datasource()
    assert source["type"] in {"grafana-postgresql-datasource", "postgres"}
    assert source["url"].startswith("postgres:"), "must point at the compose postgres service"
    assert source["jsonData"]["database"] == "${WAREHOUSE_DB_NAME}"
    assert source["secureJsonData"]["password"] == "${GRAFANA_DB_PASSWORD}"
    assert "password" not in source, "a plain-text password field would be stored in the repo"


def test_datasource_uses_the_read_only_login() -> None:
    user = datasource()["user"]
    assert user not in {"postgres", "airflow", "tickerpulse_loader"}
    grants = _grafana_login_roles()
    assert grants.get(user) == {READER_ROLE}, f"{user} must be a member of {READER_ROLE} only"


def _code(path: Path) -> str:
    return "\n".join(
        line.split("--", 1)[0] for line in path.read_text(encoding="utf-8").splitlines()
    )


def test_reader_role_gets_select_only() -> None:
    """002 makes the role; 004 grants SELECT on an allow-list and takes back 002's old
    grant-everything defaults. Neither grants anything but USAGE, SELECT and EXECUTE."""
    roles = _code(ROLES_SQL)
    assert "CREATE ROLE tickerpulse_reader NOLOGIN" in roles
    assert "GRANT USAGE ON SCHEMA tickerpulse TO tickerpulse_reader" in roles
    serving = _code(SERVING_SQL)
    assert "REVOKE ALL ON ALL TABLES IN SCHEMA tickerpulse FROM tickerpulse_reader" in serving
    assert (
        "ALTER DEFAULT PRIVILEGES IN SCHEMA tickerpulse REVOKE ALL ON TABLES FROM"
        " tickerpulse_reader" in serving
    )
    for path in (ROLES_SQL, SERVING_SQL):
        for grant in re.findall(r"\bGRANT\s+(\w+)", _code(path), re.IGNORECASE):
            assert grant.upper() in {"USAGE", "SELECT", "EXECUTE"}, f"{path.name} grants {grant}"
    assert "ON TABLES TO" not in serving.replace("\n", " "), "no default grants: allow-list only"


# --- the dashboards ----------------------------------------------------------------------------


def all_dashboards() -> dict[str, dict[str, Any]]:
    return {path.stem: load_dashboard(path) for path in sorted(DASHBOARD_DIR.glob("*.json"))}


def test_the_generated_files_are_up_to_date() -> None:
    """Dashboards and alert rules are built from grafana/sql/*.sql; a hand edit of the JSON, or
    an SQL edit without a rebuild, fails here."""
    result = subprocess.run(
        [sys.executable, str(BUILDER), "--check"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert GENERATED <= set(all_dashboards())


def test_dashboards_identity_and_datasource() -> None:
    uid = datasource()["uid"]
    boards = all_dashboards()
    assert boards["overview"]["title"] == "Ticker Pulse \u2014 Overview"
    for name, dashboard in boards.items():
        assert dashboard["uid"].startswith("tickerpulse-"), name
        for panel, _ in panel_queries(dashboard):
            assert panel["datasource"]["uid"] == uid, (name, panel["title"])
            for target in panel["targets"]:
                assert target["datasource"]["uid"] == uid, (name, panel["title"])
        for variable in dashboard["templating"]["list"]:
            if variable["type"] == "query":
                assert variable["datasource"]["uid"] == uid, (name, variable["name"])


def test_ticker_variable_lists_tickers_that_have_data() -> None:
    for name in ("overview", "ticker"):
        variables = {v["name"]: v for v in all_dashboards()[name]["templating"]["list"]}
        ticker = variables["ticker"]
        assert ticker["type"] == "query"
        assert "tickerpulse.sentiment_1d" in ticker["query"]
        assert sql_problems(ticker["query"], warehouse_tables()) == []


def test_every_panel_has_sql_that_reads_only_existing_warehouse_tables() -> None:
    tables = warehouse_tables()
    for name, dashboard in all_dashboards().items():
        queries = panel_queries(dashboard)
        assert queries, name
        for panel, sql in queries:
            assert sql.strip(), f"{name}: panel {panel['title']!r} has no SQL"
            assert sql_problems(sql, tables) == [], (name, panel["title"])


def test_every_panel_is_bounded_by_the_dashboard_time_range() -> None:
    for name, dashboard in all_dashboards().items():
        for panel, sql in panel_queries(dashboard):
            if panel["title"] in NOT_TIME_BOUNDED:
                continue
            assert any(m in sql for m in ("$__timeFilter(", "$__timeFrom()", "$__timeTo()")), (
                f"{name}: panel {panel['title']!r} ignores the time picker"
            )


def test_alert_rules_cover_surge_flip_staleness_and_coverage() -> None:
    rules = {r["uid"]: r for g in load_yaml(ALERTS_FILE)["groups"] for r in g["rules"]}
    assert set(rules) == {
        "tickerpulse-mention-surge",
        "tickerpulse-sentiment-flip",
        "tickerpulse-stale-data",
        "tickerpulse-coverage-below",
    }
    tables = warehouse_tables()
    for rule in rules.values():
        [query] = [d for d in rule["data"] if d["datasourceUid"] == datasource()["uid"]]
        assert sql_problems(query["model"]["rawSql"], tables) == [], rule["title"]
        refs = {d["refId"] for d in rule["data"]}
        assert rule["condition"] in refs
        [condition] = [d for d in rule["data"] if d["refId"] == rule["condition"]]
        assert condition["datasourceUid"] == "__expr__"
        assert condition["model"]["type"] == "threshold"
    stale = rules["tickerpulse-stale-data"]
    [threshold] = [d for d in stale["data"] if d["refId"] == stale["condition"]]
    assert threshold["model"]["conditions"][0]["evaluator"] == {"type": "gt", "params": [60.0]}
    assert stale["noDataState"] == "Alerting", "no runs at all is stale too"
    coverage = rules["tickerpulse-coverage-below"]
    [threshold] = [d for d in coverage["data"] if d["refId"] == coverage["condition"]]
    assert threshold["model"]["conditions"][0]["evaluator"] == {"type": "lt", "params": [99.0]}
    assert "interval_coverage" in coverage["data"][0]["model"]["rawSql"]
    surge = rules["tickerpulse-mention-surge"]
    assert "surge_z" in surge["data"][0]["model"]["rawSql"]  # the baseline-aware score
    assert "unique_authors" in surge["data"][0]["model"]["rawSql"]


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT 1 FROM tickerpulse.no_such_table", "unknown table"),
        ("SELECT * FROM public.posts", "not a tickerpulse table"),
        ("SELECT * FROM posts", "not a tickerpulse table"),
        ("SELECT * FROM pg_catalog.pg_roles", "not a tickerpulse table"),
        ("SELECT 1", "reads no table"),
        ("DELETE FROM tickerpulse.posts", "writes"),
    ],
)
def test_sql_check_rejects_bad_queries(sql: str, expected: str) -> None:
    problems = sql_problems(sql, warehouse_tables())
    assert any(expected in p for p in problems), problems


def test_sql_check_accepts_ctes() -> None:
    sql = "WITH a AS (SELECT * FROM tickerpulse.posts), b AS (SELECT * FROM a) SELECT * FROM b"
    assert sql_problems(sql, warehouse_tables()) == []


def _panel(dashboard: dict[str, Any], table: str, panel_type: str) -> list[dict[str, Any]]:
    return [
        panel
        for panel, sql in panel_queries(dashboard)
        if panel["type"] == panel_type and f"tickerpulse.{table}" in sql
    ]


def test_sentiment_panel_plots_both_means_with_price_on_a_second_axis() -> None:
    for name in ("overview", "ticker"):
        dashboard = all_dashboards()[name]
        [panel] = [
            p
            for p in _panel(dashboard, "sentiment_30m", "timeseries")
            if "price_close" in p["targets"][0]["rawSql"]
        ]
        sql = panel["targets"][0]["rawSql"]
        for column in ("weighted_mean", "raw_mean", "price_close"):
            assert column in sql
        assert "${ticker:sqlstring}" in sql, "the quoting spelling that survives any ticker"
        assert "tickerpulse.sentiment_1d" in sql, "long ranges read the daily rollup"
        placements = {
            override["matcher"]["options"]: prop["value"]
            for override in panel["fieldConfig"]["overrides"]
            for prop in override["properties"]
            if prop["id"] == "custom.axisPlacement"
        }
        assert placements.get("price_close") == "right"


def test_mentions_panel_draws_bars() -> None:
    panels = [
        p
        for p in _panel(all_dashboards()["ticker"], "sentiment_30m", "timeseries")
        if re.search(r"\bmentions\b", p["targets"][0]["rawSql"])
    ]
    assert any(p["fieldConfig"]["defaults"]["custom"]["drawStyle"] == "bars" for p in panels)


def test_top_posts_table_links_to_reddit_with_the_reasoning() -> None:
    [panel] = _panel(all_dashboards()["ticker"], "post_sentiment", "table")
    sql = panel["targets"][0]["rawSql"]
    assert "reasoning" in sql
    assert "permalink" in sql
    links = {
        o["matcher"]["options"]: prop["value"]
        for o in panel["fieldConfig"]["overrides"]
        for prop in o["properties"]
        if prop["id"] == "links"
    }
    assert links["permalink"][0]["url"] == "${__value.raw}"


def test_pipeline_table_shows_the_stage_counts() -> None:
    [panel] = _panel(load_dashboard(), "pipeline_runs", "table")
    sql = panel["targets"][0]["rawSql"]
    for column in ("extracted", "loaded", "quarantined", "duplicates", "bots"):
        assert re.search(rf"\b{column}\b", sql), column


def test_pipeline_dashboard_has_cost_cache_and_durations() -> None:
    sql = "\n".join(q for _, q in panel_queries(all_dashboards()["pipeline"]))
    for needle in ("llm_calls", "tokens_in", "cost_usd", "cache_hits", "tickerpulse.task_runs"):
        assert needle in sql, needle
