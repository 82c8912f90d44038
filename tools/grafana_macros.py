"""Expand a Grafana PostgreSQL panel query into the SQL Grafana would send, without Grafana.

The panel tests and the serving benchmark run dashboard SQL straight against Postgres; both must
see exactly what Grafana sends, or a query that works here could break there (or the other way
round). Grafana expands in two passes, and so does this module:

1. the frontend replaces template variables (`$ticker`, `${ticker}`, `${ticker:sqlstring}`,
   `[[ticker]]`) and the globals (`$__interval`, `$__interval_ms`, `${__from}`, `${__to}`,
   `$__range_s`, ...). A single-value variable is inserted with its quotes doubled but not
   quoted, as Grafana's SQL datasources do, so `'$ticker'` and `${ticker:sqlstring}` are the two
   safe spellings;
2. the backend (pkg/tsdb/grafana-postgresql-datasource/macros.go) replaces the `$__name(args)`
   macros. An unknown macro is an error there, and is one here.

`$__interval` follows Grafana's own arithmetic: range / max data points, rounded to a "nice"
interval, never below the panel's minimum interval.
"""

from __future__ import annotations

import csv
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

VariableValue = str | Sequence[str]

_UNIT_SECONDS = {
    "ms": 0.001,
    "s": 1,
    "m": 60,
    "h": 3600,
    "d": 86400,
    "w": 7 * 86400,
    "M": 30 * 86400,
    "y": 365 * 86400,
}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w|M|y)\s*$")
# Grafana's template variable syntax: $name, [[name(:fmt)]], ${name(.field)(:fmt)}.
_VARIABLE = re.compile(
    r"\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?:\.([^:^}]+))?(?::([^}]+))?\}"
)
# The backend's macro syntax: no ")" inside the arguments.
_MACRO = re.compile(r"\$([_a-zA-Z0-9]+)\(([^)]*)\)")

# kbn.roundInterval: (upper bound in ms, the interval chosen), from Grafana's rangeutil.
_NICE_INTERVALS_MS: tuple[tuple[float, int], ...] = (
    (10, 1),
    (15, 10),
    (35, 20),
    (75, 50),
    (150, 100),
    (350, 200),
    (750, 500),
    (1_500, 1_000),
    (3_500, 2_000),
    (7_500, 5_000),
    (12_500, 10_000),
    (17_500, 15_000),
    (25_000, 20_000),
    (45_000, 30_000),
    (90_000, 60_000),
    (210_000, 120_000),
    (450_000, 300_000),
    (750_000, 600_000),
    (1_050_000, 900_000),
    (1_500_000, 1_200_000),
    (2_700_000, 1_800_000),
    (5_400_000, 3_600_000),
    (9_000_000, 7_200_000),
    (16_200_000, 10_800_000),
    (32_400_000, 21_600_000),
    (86_400_000, 43_200_000),
    (604_800_000, 86_400_000),
    (1_814_400_000, 604_800_000),
    (3_628_800_000, 2_592_000_000),
)


class MacroError(ValueError):
    """A macro Grafana would reject: unknown, or missing its arguments."""


def parse_duration(text: str) -> timedelta:
    """'30m', '1h', '7d' (Grafana's gtime.ParseInterval units) as a timedelta."""
    match = _DURATION.match(text.strip().strip("'"))
    if not match:
        raise MacroError(f"cannot parse interval {text!r}")
    return timedelta(seconds=float(match.group(1)) * _UNIT_SECONDS[match.group(2)])


def round_interval(interval_ms: float) -> int:
    for bound, chosen in _NICE_INTERVALS_MS:
        if interval_ms <= bound:
            return chosen
    return 31_536_000_000


def format_interval(interval: timedelta) -> str:
    """Grafana's secondsToHms: the largest whole unit, '30m', '2h', '1d'."""
    ms = round(interval.total_seconds() * 1000)
    for unit, seconds in (("y", 31_536_000), ("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)):
        if ms >= seconds * 1000:
            return f"{ms // (seconds * 1000)}{unit}"
    return f"{ms}ms" if ms else "1ms"


def rfc3339(moment: datetime) -> str:
    """Go's time.RFC3339Nano in UTC: no trailing zeros in the fraction, 'Z' for the zone."""
    moment = moment.astimezone(UTC)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        text += ("." + f"{moment.microsecond:06d}").rstrip("0")
    return text + "Z"


def quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


@dataclass(frozen=True)
class QueryContext:
    """What Grafana knows when it runs one panel query."""

    time_from: datetime
    time_to: datetime
    variables: Mapping[str, VariableValue] = field(default_factory=dict)
    max_data_points: int = 1000
    min_interval: str | None = None  # the panel's "Min interval" (panel["interval"])

    @property
    def interval(self) -> timedelta:
        range_ms = (self.time_to - self.time_from).total_seconds() * 1000
        interval_ms: float = round_interval(range_ms / max(1, self.max_data_points))
        if self.min_interval:
            floor_ms = parse_duration(self.min_interval).total_seconds() * 1000
            interval_ms = max(interval_ms, floor_ms)
        return timedelta(milliseconds=interval_ms)


def _format_variable(value: VariableValue, fmt: str | None, multi: bool) -> str:
    values = [value] if isinstance(value, str) else list(value)
    if fmt in (None, ""):
        if isinstance(value, str) and not multi:
            return value.replace("'", "''")
        return ",".join(quote_literal(v) for v in values)
    if fmt == "sqlstring":
        return ",".join(quote_literal(v) for v in values)
    if fmt == "singlequote":
        return ",".join("'" + v.replace("'", "\\'") + "'" for v in values)
    if fmt == "doublequote":
        return ",".join('"' + v.replace('"', '\\"') + '"' for v in values)
    if fmt in ("csv", "raw"):
        return ",".join(values)
    if fmt == "pipe":
        return "|".join(values)
    raise MacroError(f"unsupported variable format {fmt!r}")


def _globals(ctx: QueryContext) -> dict[str, str]:
    interval = ctx.interval
    range_s = (ctx.time_to - ctx.time_from).total_seconds()
    return {
        "__interval": format_interval(interval),
        "__interval_ms": str(round(interval.total_seconds() * 1000)),
        "__from": str(math.floor(ctx.time_from.timestamp() * 1000)),
        "__to": str(math.floor(ctx.time_to.timestamp() * 1000)),
        "__range": format_interval(ctx.time_to - ctx.time_from),
        "__range_s": str(round(range_s)),
        "__range_ms": str(round(range_s * 1000)),
    }


def interpolate_variables(sql: str, ctx: QueryContext) -> str:
    """Pass 1, the frontend: template variables and globals; unknown names are left alone."""
    globals_ = _globals(ctx)

    def replace(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2) or match.group(4)
        fmt = match.group(3) or match.group(6)
        if name in ("__from", "__to") and fmt and fmt.startswith("date"):
            moment = ctx.time_from if name == "__from" else ctx.time_to
            return rfc3339(moment) if fmt in ("date", "date:iso") else globals_[name]
        if name in globals_:
            return globals_[name]
        if name in ctx.variables:
            value = ctx.variables[name]
            return _format_variable(value, fmt, multi=not isinstance(value, str))
        return match.group(0)

    return _VARIABLE.sub(replace, sql)


def _macro_args(text: str) -> list[str]:
    text = text.replace("\n", "").strip()
    if not text:
        return [""]
    row = next(csv.reader([text], skipinitialspace=True))
    return [arg.strip() for arg in row]


def _time_group(args: list[str], name: str) -> str:
    if len(args) < 2:
        raise MacroError(f"macro {name} needs time column and interval and optional fill value")
    seconds = parse_duration(args[1]).total_seconds()
    step = int(seconds) if seconds == int(seconds) else seconds
    return f"floor(extract(epoch from {args[0]})/{step})*{step}"


def _evaluate(name: str, args: list[str], ctx: QueryContext) -> str:
    start, end = ctx.time_from, ctx.time_to
    if name in ("__time", "__timeEpoch", "__timeFilter", "__unixEpochFilter") and not args[0]:
        raise MacroError(f"missing time column argument for macro {name}")
    if name == "__time":
        return f'{args[0]} AS "time"'
    if name == "__timeEpoch":
        return f'extract(epoch from {args[0]}) as "time"'
    if name == "__timeFilter":
        return f"{args[0]} BETWEEN '{rfc3339(start)}' AND '{rfc3339(end)}'"
    if name == "__timeFrom":
        return f"'{rfc3339(start)}'"
    if name == "__timeTo":
        return f"'{rfc3339(end)}'"
    if name == "__timeGroup":
        return _time_group(args, name)
    if name == "__timeGroupAlias":
        return _time_group(args, name) + ' AS "time"'
    if name == "__unixEpochFilter":
        return f"{args[0]} >= {int(start.timestamp())} AND {args[0]} <= {int(end.timestamp())}"
    if name == "__unixEpochFrom":
        return str(int(start.timestamp()))
    if name == "__unixEpochTo":
        return str(int(end.timestamp()))
    if name in ("__unixEpochGroup", "__unixEpochGroupAlias"):
        if len(args) < 2:
            raise MacroError(f"macro {name} needs time column and interval")
        seconds = int(parse_duration(args[1]).total_seconds())
        alias = ' AS "time"' if name.endswith("Alias") else ""
        return f"floor(({args[0]})/{seconds})*{seconds}{alias}"
    raise MacroError(f"unknown macro {name!r}")


def expand_macros(sql: str, ctx: QueryContext) -> str:
    """Pass 2, the backend: `$__name(args)` macros, as Grafana's postgres macro engine does."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        # Grafana: "$__timeGroup(...)," is the pre-5.3 spelling of $__timeGroupAlias.
        if name == "__timeGroup" and sql[match.end() : match.end() + 1] == ",":
            name = "__timeGroupAlias"
        return _evaluate(name, _macro_args(match.group(2)), ctx)

    return _MACRO.sub(replace, sql)


def expand(sql: str, ctx: QueryContext) -> str:
    """The SQL Grafana sends to Postgres for this panel query."""
    return expand_macros(interpolate_variables(sql, ctx), ctx)


# --- the queries a Grafana folder holds ---------------------------------------------------------


@dataclass(frozen=True)
class PanelQuery:
    """One SQL query Grafana runs: a panel target, a template variable, or an alert rule."""

    source: str  # "dashboards/ticker.json" or "provisioning/alerting/tickerpulse.yaml"
    title: str
    kind: str  # panel type ("timeseries", "table", "stat", ...), "variable" or "alert"
    sql: str
    fmt: str = "table"  # the target's format: "time_series" or "table"
    min_interval: str | None = None
    lookback: timedelta | None = None  # an alert's relativeTimeRange


def dashboard_queries(path: Path) -> list[PanelQuery]:
    board = json.loads(path.read_text(encoding="utf-8"))
    source = f"dashboards/{path.name}"
    found = [
        PanelQuery(source, f"variable ${v['name']}", "variable", _variable_sql(v))
        for v in board.get("templating", {}).get("list", [])
        if v.get("type") == "query"
    ]
    panels = list(board.get("panels", []))
    while panels:
        item = panels.pop(0)
        panels.extend(item.get("panels", []))  # panels nested in collapsed rows
        for target in item.get("targets", []):
            if target.get("rawSql", "").strip():
                found.append(
                    PanelQuery(
                        source,
                        f"{item.get('title', '?')} [{target.get('refId', 'A')}]",
                        item["type"],
                        target["rawSql"],
                        target.get("format", "time_series"),
                        item.get("interval") or None,
                    )
                )
    return found


def _variable_sql(variable: Mapping[str, object]) -> str:
    query = variable.get("query")
    if isinstance(query, Mapping):  # newer Grafana stores {"rawSql": ...} for SQL variables
        query = query.get("rawSql") or query.get("query")
    return str(query or variable.get("definition") or "")


def alert_queries(path: Path) -> list[PanelQuery]:
    import yaml

    rules = yaml.safe_load(path.read_text(encoding="utf-8"))
    found = []
    for group in rules.get("groups", []):
        for rule in group.get("rules", []):
            for item in rule.get("data", []):
                model = item.get("model", {})
                if item.get("datasourceUid") == "__expr__" or not model.get("rawSql"):
                    continue
                window = item.get("relativeTimeRange", {})
                found.append(
                    PanelQuery(
                        f"provisioning/alerting/{path.name}",
                        f"{rule['title']} [{item['refId']}]",
                        "alert",
                        model["rawSql"],
                        model.get("format", "table"),
                        lookback=timedelta(seconds=int(window.get("from", 21600))),
                    )
                )
    return found


def grafana_queries(grafana_dir: Path) -> list[PanelQuery]:
    """Every SQL query of every dashboard and alert rule under grafana/."""
    found: list[PanelQuery] = []
    for path in sorted((grafana_dir / "dashboards").glob("*.json")):
        found.extend(dashboard_queries(path))
    for path in sorted((grafana_dir / "provisioning" / "alerting").glob("*.y*ml")):
        found.extend(alert_queries(path))
    return found


def default_variables(grafana_dir: Path) -> dict[str, str]:
    """Values of the dashboards' constant/textbox/custom variables, as Grafana's defaults."""
    values: dict[str, str] = {}
    for path in sorted((grafana_dir / "dashboards").glob("*.json")):
        board = json.loads(path.read_text(encoding="utf-8"))
        for variable in board.get("templating", {}).get("list", []):
            if variable.get("type") in ("textbox", "constant", "custom"):
                first = str(variable.get("query", "")).split(",")[0].strip()
                values.setdefault(variable["name"], first)
    return values
