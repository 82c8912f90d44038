"""Offline checks of the Grafana provisioning: files parse, panel SQL reads only real warehouse
tables, and the datasource logs in as the SELECT-only role.

A dashboard that names a table the migrations never create, or a datasource that connects as the
loader, would both look fine until someone opened Grafana; these tests make them fail in CI.
Running the panel SQL against a real Postgres is a separate, later test.
"""

from __future__ import annotations

import json
import re
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
INIT_SQL = ROOT / "sql/001_init.sql"
ROLES_SQL = ROOT / "sql/002_roles.sql"
POSTGRES_INIT_DIR = ROOT / "docker/postgres-init"

READER_ROLE = "tickerpulse_reader"

_CREATE_TABLE = re.compile(
    r"CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?tickerpulse\.(\w+)", re.IGNORECASE
)
_SCHEMA_REF = re.compile(r"\btickerpulse\.(\w+)", re.IGNORECASE)
_FROM_TARGET = re.compile(r"\b(?:FROM|JOIN)\s+([A-Za-z_][\w.]*)", re.IGNORECASE)
_CTE_NAME = re.compile(r"(?:\bWITH|,)\s*([A-Za-z_]\w*)\s+AS\s*\(", re.IGNORECASE)
_WRITE_SQL = re.compile(
    r"\b(INSERT|UPDATE|DELETE|TRUNCATE|DROP|ALTER\s+TABLE|CREATE|GRANT|COPY)\b", re.IGNORECASE
)


def warehouse_tables() -> set[str]:
    tables = set(_CREATE_TABLE.findall(INIT_SQL.read_text(encoding="utf-8")))
    assert tables, "no CREATE TABLE found in sql/001_init.sql: the parser is broken"
    return tables


def sql_problems(sql: str, tables: set[str]) -> list[str]:
    """What is wrong with one panel query, as far as can be told without a database.

    Every relation read must be a CTE of the same query or a tickerpulse table that the
    migrations create; a bare or other-schema table would fail on the reader role, which has
    USAGE on tickerpulse only.
    """
    problems: list[str] = []
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


def test_reader_role_gets_select_only() -> None:
    text = ROLES_SQL.read_text(encoding="utf-8")
    code = "\n".join(line.split("--", 1)[0] for line in text.splitlines())
    for statement in (
        "CREATE ROLE tickerpulse_reader NOLOGIN",
        "GRANT USAGE ON SCHEMA tickerpulse TO tickerpulse_reader",
        "GRANT SELECT ON ALL TABLES IN SCHEMA tickerpulse TO tickerpulse_reader",
        "ALTER DEFAULT PRIVILEGES IN SCHEMA tickerpulse"
        " GRANT SELECT ON TABLES TO tickerpulse_reader",
    ):
        assert statement in code, statement
    for grant in re.findall(r"GRANT\s+(.+?)\s+ON\b", code, re.IGNORECASE):
        assert grant.upper() in {"USAGE", "SELECT"}, f"002_roles.sql grants {grant}"


# --- the dashboard -----------------------------------------------------------------------------


def test_overview_dashboard_identity_and_datasource() -> None:
    dashboard = load_dashboard()
    assert dashboard["title"] == "Ticker Pulse \u2014 Overview"
    uid = datasource()["uid"]
    for panel, _ in panel_queries(dashboard):
        assert panel["datasource"]["uid"] == uid, panel["title"]
        for target in panel["targets"]:
            assert target["datasource"]["uid"] == uid, panel["title"]
    for variable in dashboard["templating"]["list"]:
        assert variable["datasource"]["uid"] == uid


def test_ticker_variable_lists_tickers_from_the_rollup() -> None:
    variables = {v["name"]: v for v in load_dashboard()["templating"]["list"]}
    ticker = variables["ticker"]
    assert ticker["type"] == "query"
    assert re.match(
        r"SELECT DISTINCT ticker FROM tickerpulse\.sentiment_30m\b", ticker["query"], re.IGNORECASE
    )
    assert sql_problems(ticker["query"], warehouse_tables()) == []


def test_every_panel_has_sql_that_reads_only_existing_warehouse_tables() -> None:
    tables = warehouse_tables()
    queries = panel_queries(load_dashboard())
    assert len(queries) >= 4
    for panel, sql in queries:
        assert sql.strip(), f"panel {panel['title']!r} has no SQL"
        assert sql_problems(sql, tables) == [], panel["title"]


def test_every_panel_is_bounded_by_the_dashboard_time_range() -> None:
    for panel, sql in panel_queries(load_dashboard()):
        assert "$__timeFilter(" in sql, f"panel {panel['title']!r} ignores the time picker"


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
    dashboard = load_dashboard()
    [panel] = [
        p
        for p in _panel(dashboard, "sentiment_30m", "timeseries")
        if "price_close" in p["targets"][0]["rawSql"]
    ]
    sql = panel["targets"][0]["rawSql"]
    for column in ("weighted_mean", "raw_mean", "price_close"):
        assert column in sql
    assert "$ticker" in sql or "${ticker" in sql
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
        for p in _panel(load_dashboard(), "sentiment_30m", "timeseries")
        if re.search(r"\bmentions\b", p["targets"][0]["rawSql"])
    ]
    assert any(p["fieldConfig"]["defaults"]["custom"]["drawStyle"] == "bars" for p in panels)


def test_leaderboard_ranks_tickers_by_mentions_with_latest_tier() -> None:
    [panel] = _panel(load_dashboard(), "sentiment_30m", "table")
    sql = panel["targets"][0]["rawSql"]
    assert re.search(r"sum\(\w*\.?mentions\)\s+AS\s+mentions", sql, re.IGNORECASE)
    assert re.search(r"ORDER BY mentions DESC", sql, re.IGNORECASE)
    assert "tier" in sql and "DISTINCT ON (ticker)" in sql
    assert re.search(r"\bLIMIT\s+\d+", sql)


def test_pipeline_table_shows_the_stage_counts() -> None:
    [panel] = _panel(load_dashboard(), "pipeline_runs", "table")
    sql = panel["targets"][0]["rawSql"]
    for column in ("extracted", "loaded", "quarantined", "duplicates", "bots"):
        assert re.search(rf"\b{column}\b", sql), column
