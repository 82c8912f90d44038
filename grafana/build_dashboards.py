"""Write the provisioned dashboards (grafana/dashboards/*.json) and alert rules
(grafana/provisioning/alerting/tickerpulse.yaml) from the SQL in grafana/sql/.

Why generate: panel SQL reads better, diffs better and is shared between dashboards as .sql files
than as one-line JSON strings, and the layout boilerplate is written once. Grafana only reads the
generated files, so they are kept in the repository; `--check` (run by the tests) fails when they
are out of date with this script.

    python grafana/build_dashboards.py           # rewrite the files
    python grafana/build_dashboards.py --check   # exit 1 if a file would change
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import yaml

GRAFANA = Path(__file__).resolve().parent
SQL = GRAFANA / "sql"
DASHBOARDS = GRAFANA / "dashboards"
ALERTS = GRAFANA / "provisioning" / "alerting" / "tickerpulse.yaml"
DATASOURCE = {"type": "grafana-postgresql-datasource", "uid": "tickerpulse-warehouse"}
FOLDER = "Ticker Pulse"
MIN_INTERVAL = "30m"  # the pipeline's grain: $__interval never goes below one bucket
SURGE_ALERT_Z = 3.5  # tickerpulse.surge.ALERT_Z: the surge alert's robust z threshold

Json = dict[str, Any]


def sql(name: str) -> str:
    return (SQL / f"{name}.sql").read_text(encoding="utf-8").strip()


def override(field: str, **props: Any) -> Json:
    return {
        "matcher": {"id": "byName", "options": field},
        "properties": [
            {"id": key.replace("__", "."), "value": value} for key, value in props.items()
        ],
    }


def link(title: str, url: str) -> list[Json]:
    return [{"title": title, "url": url, "targetBlank": True}]


def panel(
    kind: str,
    title: str,
    query: str,
    grid: tuple[int, int, int, int],
    *,
    description: str = "",
    fmt: str | None = None,
    defaults: Json | None = None,
    overrides: list[Json] | None = None,
    options: Json | None = None,
    interval: str | None = None,
) -> Json:
    x, y, w, h = grid
    out: Json = {
        "type": kind,
        "title": title,
        "description": description,
        "datasource": DATASOURCE,
        "gridPos": {"x": x, "y": y, "w": w, "h": h},
        "targets": [
            {
                "refId": "A",
                "datasource": DATASOURCE,
                "editorMode": "code",
                "format": fmt or ("time_series" if kind == "timeseries" else "table"),
                "rawQuery": True,
                "rawSql": sql(query),
            }
        ],
        "fieldConfig": {"defaults": defaults or {}, "overrides": overrides or []},
        "options": options or {},
    }
    if interval:
        out["interval"] = interval
    return out


def ticker_variable() -> Json:
    query = sql("ticker/variable_ticker")
    return {
        "name": "ticker",
        "label": "Ticker",
        "type": "query",
        "datasource": DATASOURCE,
        "query": query,
        "definition": query,
        "refresh": 1,
        "sort": 1,
        "multi": False,
        "includeAll": False,
        "current": {},
        "options": [],
        "hide": 0,
    }


def dashboard(
    uid: str,
    title: str,
    description: str,
    panels: list[Json],
    *,
    time_from: str,
    variables: list[Json] | None = None,
) -> Json:
    for number, item in enumerate(panels, start=1):
        item["id"] = number
    return {
        "uid": uid,
        "title": title,
        "description": description,
        "tags": ["tickerpulse"],
        "timezone": "utc",
        "editable": False,
        "graphTooltip": 1,
        "refresh": "5m",
        "schemaVersion": 39,
        "version": 1,
        "time": {"from": time_from, "to": "now"},
        "timepicker": {},
        "annotations": {"list": []},
        "links": [
            {
                "title": "Ticker Pulse",
                "type": "dashboards",
                "tags": ["tickerpulse"],
                "asDropdown": True,
                "keepTime": True,
                "includeVars": True,
            }
        ],
        "templating": {"list": variables or []},
        "panels": panels,
    }


# --- panels shared by more than one dashboard ----------------------------------------------------

SENTIMENT_AXIS = {
    "custom.axisSoftMin": -1,
    "custom.axisSoftMax": 1,
    "custom.axisLabel": "sentiment",
}


def sentiment_price_panel(grid: tuple[int, int, int, int]) -> Json:
    mean_axis = {
        "matcher": {"id": "byRegexp", "options": "/_mean$/"},
        "properties": [{"id": key, "value": value} for key, value in SENTIMENT_AXIS.items()],
    }
    return panel(
        "timeseries",
        "Sentiment and price: $ticker",
        "ticker/sentiment_price",
        grid,
        description="Time-decayed, weighted sentiment and the plain mean (left axis, -1..1) with "
        "the close (right axis). One point per 30 minutes up to 7 days, per UTC day beyond.",
        defaults={
            "custom": {
                "drawStyle": "line",
                "lineWidth": 2,
                "showPoints": "auto",
                "spanNulls": False,
            },
            "decimals": 2,
        },
        overrides=[
            mean_axis,
            override(
                "weighted_mean",
                displayName="weighted sentiment",
                color={"mode": "fixed", "fixedColor": "blue"},
            ),
            override(
                "raw_mean",
                displayName="raw mean",
                color={"mode": "fixed", "fixedColor": "purple"},
                custom__lineStyle={"fill": "dash", "dash": [10, 10]},
            ),
            override(
                "price_close",
                displayName="close",
                custom__axisPlacement="right",
                custom__axisLabel="price",
                unit="currencyUSD",
                color={"mode": "fixed", "fixedColor": "green"},
                custom__spanNulls=True,
            ),
        ],
        options={
            "legend": {"displayMode": "list", "placement": "bottom", "showLegend": True},
            "tooltip": {"mode": "multi", "sort": "none"},
        },
    )


def mentions_panel(grid: tuple[int, int, int, int]) -> Json:
    return panel(
        "timeseries",
        "Mentions: $ticker",
        "ticker/mentions",
        grid,
        description="Posts and comments mentioning the ticker per 30 minutes (per UTC day beyond "
        "7 days), and their distinct authors.",
        defaults={
            "custom": {
                "drawStyle": "bars",
                "fillOpacity": 80,
                "lineWidth": 1,
                "barAlignment": -1,
                "showPoints": "never",
            },
            "decimals": 0,
            "min": 0,
        },
        overrides=[
            override("unique_authors", displayName="unique authors", custom__fillOpacity=30)
        ],
    )


def leaderboard_panel(grid: tuple[int, int, int, int]) -> Json:
    return panel(
        "table",
        "Top 25 by mentions",
        "leaderboard/top25",
        grid,
        description="Tickers by mentions over the range, with sentiment, tier and confidence, "
        "and their rank and mentions against the same range 24 hours earlier "
        "(rank change > 0: climbed). Surge: the highest robust z-score of a bucket's unique "
        "authors against the ticker's own baseline in the range (over 3.5 alerts; empty for "
        "tickers seen for less than a week); trend of the latest bucket; calls, puts and "
        "put/call ratio of the mentions that talk options.",
        overrides=[
            override(
                "rank_change",
                displayName="rank Δ 24h",
                decimals=0,
                custom__cellOptions={"type": "color-text"},
                thresholds={
                    "mode": "absolute",
                    "steps": [
                        {"color": "red", "value": None},
                        {"color": "text", "value": 0},
                        {"color": "green", "value": 1},
                    ],
                },
            ),
            override("mention_change", displayName="mentions Δ 24h"),
            override("mention_change_pct", displayName="mentions Δ %", unit="percent"),
            override(
                "ticker",
                links=link(
                    "Open ${__value.raw}",
                    "/d/tickerpulse-ticker/ticker?var-ticker=${__value.raw}&${__url_time_range}",
                ),
            ),
            override(
                "tier",
                custom__cellOptions={"type": "color-text"},
                mappings=[
                    {
                        "type": "value",
                        "options": {
                            "strong_bullish": {"color": "dark-green", "index": 0},
                            "bullish": {"color": "green", "index": 1},
                            "neutral": {"color": "text", "index": 2},
                            "bearish": {"color": "orange", "index": 3},
                            "strong_bearish": {"color": "red", "index": 4},
                        },
                    }
                ],
            ),
            override(
                "surge_z",
                displayName="surge z",
                custom__cellOptions={"type": "color-background", "mode": "basic"},
                thresholds={
                    "mode": "absolute",
                    "steps": [
                        {"color": "transparent", "value": None},
                        {"color": "orange", "value": 2},
                        {"color": "red", "value": SURGE_ALERT_Z},
                    ],
                },
            ),
            override(
                "trend",
                custom__cellOptions={"type": "color-text"},
                mappings=[
                    {
                        "type": "value",
                        "options": {
                            "rising": {"color": "green", "index": 0, "text": "\u2191 rising"},
                            "stable": {"color": "text", "index": 1, "text": "\u2192 stable"},
                            "falling": {"color": "red", "index": 2, "text": "\u2193 falling"},
                        },
                    }
                ],
            ),
            override("put_call_ratio", displayName="put/call", decimals=2),
            override(
                "confidence",
                unit="percentunit",
                min=0,
                max=1,
                custom__cellOptions={"type": "gauge", "mode": "basic"},
            ),
        ],
        options={"showHeader": True, "cellHeight": "sm"},
    )


def freshness_panel(grid: tuple[int, int, int, int]) -> Json:
    return panel(
        "stat",
        "Freshness: minutes since the latest loaded interval",
        "data_quality/freshness",
        grid,
        description="Now minus the end of the latest interval in pipeline_runs. 30-60 is on time; "
        "over 60 fires the stale-data alert.",
        defaults={
            "unit": "m",
            "thresholds": {
                "mode": "absolute",
                "steps": [
                    {"color": "green", "value": None},
                    {"color": "orange", "value": 45},
                    {"color": "red", "value": 60},
                ],
            },
        },
        options={
            "reduceOptions": {
                "calcs": ["lastNotNull"],
                "fields": "/^minutes_behind$/",
                "values": False,
            },
            "colorMode": "background",
            "graphMode": "none",
        },
    )


# --- dashboards --------------------------------------------------------------------------------


def ticker_dashboard() -> Json:
    return dashboard(
        "tickerpulse-ticker",
        "Ticker Pulse \u2014 Ticker",
        "One ticker: what Reddit says, next to its price, and the posts behind the number.",
        [
            panel(
                "stat",
                "$ticker over the range",
                "ticker/summary",
                (0, 0, 24, 4),
                description="Mentions, weighted sentiment, its tier and confidence over the "
                "whole range.",
                options={
                    "reduceOptions": {"calcs": ["lastNotNull"], "fields": "/.*/", "values": True},
                    "colorMode": "value",
                    "graphMode": "none",
                    "textMode": "value_and_name",
                },
            ),
            sentiment_price_panel((0, 4, 24, 10)),
            mentions_panel((0, 14, 24, 7)),
            panel(
                "table",
                "Top contributing posts: $ticker",
                "ticker/top_posts",
                (0, 21, 24, 10),
                description="The posts that weigh most in the ticker's sentiment in the range "
                "(|score| x ambiguity weight x upvote weight), with the scorer's reasoning.",
                overrides=[
                    override("permalink", links=link("Open on Reddit", "${__value.raw}")),
                    override("reasoning", custom__width=420),
                    override("title", custom__width=320),
                ],
                options={"showHeader": True, "cellHeight": "sm"},
            ),
        ],
        time_from="now-2d",
        variables=[ticker_variable()],
    )


def leaderboard_dashboard() -> Json:
    return dashboard(
        "tickerpulse-leaderboard",
        "Ticker Pulse \u2014 Leaderboard",
        "The most discussed tickers of the range and how that changed in a day.",
        [
            leaderboard_panel((0, 0, 24, 16)),
            panel(
                "timeseries",
                "Mentions of the top 10",
                "leaderboard/mentions_top10",
                (0, 16, 24, 9),
                description="Per 30 minutes up to 2 days, per UTC day beyond.",
                defaults={
                    "custom": {
                        "drawStyle": "line",
                        "lineWidth": 1,
                        "fillOpacity": 10,
                        "stacking": {"mode": "none"},
                    },
                    "min": 0,
                },
            ),
        ],
        time_from="now-24h",
    )


def data_quality_dashboard() -> Json:
    docs_base = {
        "name": "docs_base",
        "label": "Data Docs base URL",
        "type": "textbox",
        "query": "file://",
        "current": {"text": "file://", "value": "file://"},
        "hide": 0,
        "description": "Prefix for the Data Docs paths, e.g. the URL the docs folder is served at.",
    }
    return dashboard(
        "tickerpulse-data-quality",
        "Ticker Pulse \u2014 Data quality",
        "Great Expectations results per run, what was quarantined and why, and how fresh the "
        "warehouse is.",
        [
            freshness_panel((0, 0, 8, 6)),
            panel(
                "timeseries",
                "Expectation pass rate per run",
                "data_quality/pass_rate",
                (8, 0, 16, 6),
                interval=MIN_INTERVAL,
                defaults={
                    "unit": "percent",
                    "min": 0,
                    "max": 100,
                    "custom": {"drawStyle": "line", "lineWidth": 2},
                },
            ),
            panel(
                "timeseries",
                "Quarantined records by reason",
                "data_quality/quarantine_by_reason",
                (0, 6, 16, 8),
                interval=MIN_INTERVAL,
                defaults={
                    "custom": {
                        "drawStyle": "bars",
                        "fillOpacity": 80,
                        "stacking": {"mode": "normal"},
                    },
                    "min": 0,
                    "decimals": 0,
                },
            ),
            panel(
                "bargauge",
                "Quarantined in the range, by reason",
                "data_quality/quarantine_totals",
                (16, 6, 8, 8),
                options={
                    "orientation": "horizontal",
                    "displayMode": "basic",
                    "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": True},
                },
            ),
            panel(
                "table",
                "Validation runs and their Data Docs",
                "data_quality/runs",
                (0, 14, 24, 10),
                overrides=[
                    override(
                        "docs_path",
                        displayName="Data Docs",
                        links=link("Open Data Docs", "${docs_base}${__value.raw}"),
                    )
                ],
                options={"showHeader": True, "cellHeight": "sm"},
            ),
        ],
        time_from="now-2d",
        variables=[docs_base],
    )


def pipeline_dashboard() -> Json:
    bars = {"custom": {"drawStyle": "bars", "fillOpacity": 60}, "min": 0}
    return dashboard(
        "tickerpulse-pipeline",
        "Ticker Pulse \u2014 Pipeline and cost",
        "Posts through each stage, LLM usage and cost, the scoring cache, task durations.",
        [
            panel(
                "stat",
                "In the range",
                "pipeline/totals",
                (0, 0, 24, 4),
                overrides=[
                    override("cost_usd", unit="currencyUSD", decimals=4),
                    override("cache_hit_pct", unit="percent"),
                ],
                options={
                    "reduceOptions": {"calcs": ["lastNotNull"], "fields": "/.*/", "values": True},
                    "colorMode": "none",
                    "graphMode": "none",
                    "textMode": "value_and_name",
                },
            ),
            panel(
                "timeseries",
                "Posts per stage",
                "pipeline/posts_per_stage",
                (0, 4, 24, 9),
                interval=MIN_INTERVAL,
                description="extracted = loaded + quarantined + duplicates + bots, per run.",
                defaults={"custom": {"drawStyle": "line", "lineWidth": 1}, "min": 0},
            ),
            panel(
                "timeseries",
                "LLM calls and tokens",
                "pipeline/llm_usage",
                (0, 13, 12, 8),
                interval=MIN_INTERVAL,
                defaults=bars,
                overrides=[
                    override("tokens_in", custom__axisPlacement="right", custom__drawStyle="line"),
                    override("tokens_out", custom__axisPlacement="right", custom__drawStyle="line"),
                ],
            ),
            panel(
                "timeseries",
                "Cost",
                "pipeline/cost",
                (12, 13, 6, 8),
                interval=MIN_INTERVAL,
                defaults={**bars, "unit": "currencyUSD", "decimals": 4},
            ),
            panel(
                "timeseries",
                "Cache hit rate",
                "pipeline/cache_hit_rate",
                (18, 13, 6, 8),
                interval=MIN_INTERVAL,
                description="Share of posts with tickers whose score came from the cache.",
                defaults={"unit": "percent", "min": 0, "max": 100},
            ),
            panel(
                "timeseries",
                "Task durations",
                "pipeline/task_durations",
                (0, 21, 14, 9),
                interval=MIN_INTERVAL,
                description="Mean seconds per task try, from task_runs (an Airflow listener).",
                defaults={"unit": "s", "min": 0},
            ),
            panel(
                "table",
                "Task durations in the range",
                "pipeline/task_duration_table",
                (14, 21, 10, 9),
                overrides=[override(c, unit="s") for c in ("p50_s", "p95_s", "max_s")],
                options={"showHeader": True, "cellHeight": "sm"},
            ),
            panel(
                "timeseries",
                "LLM calls by outcome",
                "pipeline/llm_call_status",
                (0, 30, 10, 8),
                interval=MIN_INTERVAL,
                description="Every chat-completions attempt from tickerpulse.llm_calls: ok, or the "
                "429, 5xx, timeout or invalid answer it got before a retry or re-ask.",
                defaults={**bars, "custom": {**bars["custom"], "stacking": {"mode": "normal"}}},
            ),
            panel(
                "timeseries",
                "LLM call latency",
                "pipeline/llm_latency",
                (10, 30, 7, 8),
                interval=MIN_INTERVAL,
                defaults={"unit": "s", "min": 0},
            ),
            panel(
                "timeseries",
                "Posts not scored by the LLM",
                "pipeline/llm_fallback",
                (17, 30, 7, 8),
                interval=MIN_INTERVAL,
                description="offline_for_budget: scored by the offline scorer because the run's "
                "LLM budget was reached (fallback_reason on the rows). unscored: (post, ticker) "
                "rows stored unscored with a reason after the last try.",
                defaults=bars,
            ),
            panel(
                "timeseries",
                "Reddit coverage",
                "pipeline/coverage",
                (0, 38, 10, 8),
                interval=MIN_INTERVAL,
                description="Estimated share of each interval's posts and comments that reached "
                "the raw zone, per subreddit (the lowest interval per bucket). 100 = both "
                "listings covered every second; below 99 alerts. See docs/COVERAGE.md.",
                defaults={"unit": "percent", "min": 0, "max": 100},
            ),
            panel(
                "table",
                "Intervals not read completely",
                "pipeline/coverage_gaps",
                (10, 38, 14, 8),
                description="The spans no listing walk covered and the items estimated missed "
                "there from the observed rate (interval_coverage).",
                overrides=[override("coverage_pct", unit="percent")],
                options={"showHeader": True, "cellHeight": "sm"},
            ),
        ],
        time_from="now-2d",
    )


def sentiment_price_dashboard() -> Json:
    table_options = {"showHeader": True, "cellHeight": "sm"}
    return dashboard(
        "tickerpulse-sentiment-price",
        "Ticker Pulse \u2014 Sentiment and price",
        "Does sentiment lead the price? The analysis job's correlations and hit rates, latest "
        "as of the end of the range. Empty until that job has run.",
        [
            panel(
                "timeseries",
                "Hit rate against always-bullish",
                "sentiment_price/hit_rate_trend",
                (0, 0, 24, 7),
                defaults={"unit": "percentunit", "min": 0, "max": 1},
            ),
            panel(
                "table",
                "Correlation of sentiment with forward returns",
                "sentiment_price/correlations",
                (0, 7, 14, 14),
                options=table_options,
            ),
            panel(
                "table",
                "Signal scorecard",
                "sentiment_price/scorecard",
                (0, 21, 24, 12),
                description="Does sentiment rank forward returns? Rank IC (Spearman) per horizon "
                "with its Newey-West t-statistic and n, across tickers (the mean daily "
                "cross-sectional IC) and per ticker, and the sign hit rate against always-up. "
                "'not significant' means the number cannot be told apart from zero (|t| < 1.96) "
                "or from always-up (p >= 0.05): read it as no evidence of a signal.",
                overrides=[
                    *(override(c, unit="percentunit") for c in ("hit_rate", "always_up_rate")),
                    *(
                        override(
                            c,
                            custom__cellOptions={"type": "color-text"},
                            mappings=[
                                {
                                    "type": "value",
                                    "options": {
                                        "significant": {"color": "green", "index": 0},
                                        "beats always-up (significant)": {
                                            "color": "green",
                                            "index": 1,
                                        },
                                        "not significant": {"color": "orange", "index": 2},
                                        "too few observations": {"color": "text", "index": 3},
                                    },
                                }
                            ],
                        )
                        for c in ("ic_verdict", "hit_verdict")
                    ),
                ],
                options=table_options,
            ),
            panel(
                "table",
                "Hit rates",
                "sentiment_price/hit_rates",
                (14, 7, 10, 14),
                overrides=[
                    override(c, unit="percentunit")
                    for c in ("hit_rate", "baseline_up_rate", "edge")
                ],
                options=table_options,
            ),
        ],
        time_from="now-30d",
    )


def overview_dashboard() -> Json:
    return dashboard(
        "tickerpulse-overview",
        "Ticker Pulse \u2014 Overview",
        "What Reddit says about one ticker, next to what its price did, and how the pipeline "
        "behind it is doing.",
        [
            sentiment_price_panel((0, 0, 24, 10)),
            mentions_panel((0, 10, 24, 8)),
            leaderboard_panel((0, 18, 14, 10)),
            freshness_panel((14, 18, 10, 4)),
            panel(
                "table",
                "Pipeline runs",
                "pipeline/runs_table",
                (14, 22, 10, 6),
                description="Counts per stage per interval. "
                "extracted = loaded + quarantined + duplicates + bots.",
                options={"showHeader": True, "cellHeight": "sm"},
            ),
        ],
        time_from="now-2d",
        variables=[ticker_variable()],
    )


def alert_rule(
    uid: str,
    title: str,
    query: str,
    evaluator: tuple[str, float],
    *,
    summary: str,
    history_s: int,
    for_: str,
    no_data: str,
    severity: str,
) -> Json:
    op, threshold = evaluator
    return {
        "uid": uid,
        "title": title,
        "condition": "B",
        "data": [
            {
                "refId": "A",
                "relativeTimeRange": {"from": history_s, "to": 0},
                "datasourceUid": DATASOURCE["uid"],
                "model": {
                    "refId": "A",
                    "editorMode": "code",
                    "format": "table",
                    "rawQuery": True,
                    "rawSql": sql(query),
                },
            },
            {
                "refId": "B",
                "datasourceUid": "__expr__",
                "model": {
                    "refId": "B",
                    "type": "threshold",
                    "expression": "A",
                    "conditions": [{"evaluator": {"type": op, "params": [threshold]}}],
                },
            },
        ],
        "noDataState": no_data,
        "execErrState": "Error",
        "for": for_,
        "labels": {"severity": severity, "team": "tickerpulse"},
        "annotations": {"summary": summary},
        "isPaused": False,
    }


def alert_rules() -> Json:
    return {
        "apiVersion": 1,
        "groups": [
            {
                "orgId": 1,
                "name": "tickerpulse",
                "folder": FOLDER,
                "interval": "5m",
                "rules": [
                    alert_rule(
                        "tickerpulse-mention-surge",
                        "Mention surge",
                        "alerts/mention_surge",
                        ("gt", SURGE_ALERT_Z),
                        history_s=3600,
                        for_="0m",
                        no_data="OK",
                        severity="info",
                        summary="{{ $labels.ticker }}: unique authors in the latest 30 minutes "
                        "{{ $values.A }} robust standard deviations above its own baseline "
                        "(same hour of the week).",
                    ),
                    alert_rule(
                        "tickerpulse-sentiment-flip",
                        "Sentiment flip",
                        "alerts/sentiment_flip",
                        ("gt", 0.0),
                        history_s=26 * 3600,
                        for_="0m",
                        no_data="OK",
                        severity="info",
                        summary="{{ $labels.ticker }}: sentiment of the last 2 hours has the "
                        "opposite sign of the day before (swing {{ $values.A }}).",
                    ),
                    alert_rule(
                        "tickerpulse-stale-data",
                        "Warehouse data older than 1 hour",
                        "alerts/stale_data",
                        ("gt", 60.0),
                        history_s=3600,
                        for_="10m",
                        no_data="Alerting",
                        severity="warning",
                        summary="The latest loaded interval ended {{ $values.A }} minutes ago: "
                        "reddit_sentiment runs are failing or not scheduled.",
                    ),
                    alert_rule(
                        "tickerpulse-coverage-below",
                        "Reddit coverage below 99%",
                        "alerts/coverage_below",
                        ("lt", 99.0),
                        history_s=6 * 3600,
                        for_="0m",
                        no_data="OK",
                        severity="warning",
                        summary="r/{{ $labels.subreddit }}: an interval of the last 6 hours was "
                        "read only {{ $values.A }}% completely (interval_coverage). Run the "
                        "collector (docs/COVERAGE.md) or lower the load.",
                    ),
                ],
            }
        ],
    }


class _BlockDumper(yaml.SafeDumper):
    """Multi-line strings (the SQL) as literal blocks, so the YAML reads like the .sql file."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockDumper.add_representer(str, _str)


def outputs() -> dict[Path, str]:
    boards = {
        "overview": overview_dashboard(),
        "ticker": ticker_dashboard(),
        "leaderboard": leaderboard_dashboard(),
        "data_quality": data_quality_dashboard(),
        "pipeline": pipeline_dashboard(),
        "sentiment_price": sentiment_price_dashboard(),
    }
    files = {
        DASHBOARDS / f"{name}.json": json.dumps(board, indent=2, ensure_ascii=False) + "\n"
        for name, board in boards.items()
    }
    header = (
        "# Generated by grafana/build_dashboards.py from grafana/sql/alerts/*.sql; "
        "edit those, then rerun it.\n"
    )
    files[ALERTS] = header + yaml.dump(
        alert_rules(), Dumper=_BlockDumper, sort_keys=False, width=100, allow_unicode=True
    )
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="fail if a file is out of date")
    args = parser.parse_args(argv)
    stale = []
    for path, text in outputs().items():
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            continue
        stale.append(path)
        if not args.check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    for path in stale:
        print(f"{'out of date' if args.check else 'wrote'}: {path.relative_to(GRAFANA.parent)}")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
