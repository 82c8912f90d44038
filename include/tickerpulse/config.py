"""Settings from the environment: the one module of the package that reads it.

Everything the pipeline needs to know about where and how it runs comes from here, so the same
code runs in `make demo` (local folder, embedded Postgres, replay sources, offline scorer) and in
production (S3, a managed Postgres, praw, an LLM) with no code change, and so that one list, the
fields of `Settings`, says what a deployment can set (`.env.example` and the README are checked
against it).

How a field maps to the environment: field `post_limit` is the variable `TICKERPULSE_POST_LIMIT`
(the prefix plus the name in upper case), unless the field names its variable itself with
`validation_alias` (`DATABASE_URL`, `YF_DISABLE_CURL_CFFI`). An empty variable means "the
default". A value that does not parse is an error that names the variable, never a silent default:
a typo must not turn the warehouse off or score with the wrong model.

When it is read: the DAG files call `load_settings()` when they are parsed (param defaults, so
scheduled runs and backfills use the environment's values) and every task calls it when it runs
(through `tickerpulse.airflow_tasks.settings_for_task`). Airflow Variables are not read here: they
need a metadata-database lookup, and a DAG file must parse without one (the sink switches read
them in `tickerpulse.ops.switches`, at task run time).
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import (
    Field,
    PrivateAttr,
    SecretStr,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)
from pydantic_settings.sources.utils import parse_env_vars

from tickerpulse.choices import LlmPolicy, Scorer

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PACKAGE_DIR = Path(__file__).resolve().parent
SAMPLE_DIR = PACKAGE_DIR / "data" / "sample"
DEFAULT_SUBREDDITS = ("wallstreetbets", "stocks", "investing")
ENV_PREFIX = "TICKERPULSE_"

# Reddit's own rule for a subreddit name; the DAG param's JSON schema uses the same pattern.
SUBREDDIT_PATTERN = "^[A-Za-z0-9_]{2,21}$"
# Items per subreddit and interval. The design point is 10M posts a day, 208,000 per 30-minute
# interval; the cap leaves room for a burst above that (a cap is a guard against typos, not a plan).
POST_LIMIT_MAX = 250_000

# The start date Airflow sees on every DAG: before any Reddit post (Reddit opened in June 2005).
# The real floor is TICKERPULSE_START_DATE, checked by the tasks (`Settings.check_start_date`).
# Airflow 3.3 runs nothing, and reports success, for a manual run or `dag.test()` before a DAG's
# start_date, and its backfills ignore start_date: only a task can refuse such a run loudly.
DAG_START_DATE = datetime(2005, 6, 1, tzinfo=UTC)


class SettingsError(ValueError):
    """The environment holds a value that does not parse; the message names the variable."""


class BeforeStartDate(ValueError):
    """A run asked to process data before TICKERPULSE_START_DATE."""


_FLAG = TypeAdapter(bool)


def parse_flag(raw: str, source: str) -> bool:
    """on/off, true/false, 1/0, yes/no (any case): the one boolean syntax of every setting and
    sink switch. Anything else is an error naming `source`, not "off"."""
    try:
        return _FLAG.validate_python(raw.strip())
    except ValidationError:
        raise SettingsError(
            f"{source}={raw!r}: expected on/off, true/false, 1/0 or yes/no"
        ) from None


def parse_source_weights(text: str) -> dict[str, float]:
    """ "wallstreetbets=1.0, stocks=0.8" -> {"wallstreetbets": 1.0, "stocks": 0.8}."""
    out: dict[str, float] = {}
    for part in text.split(","):
        if not part.strip():
            continue
        name, sep, value = part.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"source weight {part.strip()!r} is not name=weight")
        weight = float(value)
        if not weight > 0 or not math.isfinite(weight):
            raise ValueError(f"source weight for {name.strip()!r} must be > 0, got {value!r}")
        out[name.strip().casefold()] = weight
    return out


# Company-name aliases that mean something else in a subreddit: in r/robinhood "Robinhood" is
# the broker's app, in r/coinbase the exchange, not the listed stock (see README).
DEFAULT_IGNORED_ALIASES = "robinhood:Robinhood;coinbase:Coinbase;sofi:SoFi"


def parse_ignored_aliases(raw: str) -> dict[str, tuple[str, ...]]:
    """`sub:Alias|Other Alias;sub2:Alias` into {subreddit (lower case): aliases}."""
    out: dict[str, tuple[str, ...]] = {}
    for part in raw.split(";"):
        if not part.strip():
            continue
        subreddit, sep, aliases = part.partition(":")
        names = tuple(a.strip() for a in aliases.split("|") if a.strip())
        if not sep or not subreddit.strip() or not names:
            raise ValueError(
                "TICKERPULSE_IGNORED_ALIASES must look like 'robinhood:Robinhood;sub:A|B', "
                f"got {part!r}"
            )
        key = subreddit.strip().lower()
        out[key] = out.get(key, ()) + names
    return out


def _price_pair(model: str, raw: object) -> tuple[float, float]:
    if isinstance(raw, Mapping) and {"in", "out"} <= set(raw):
        return float(raw["in"]), float(raw["out"])
    if isinstance(raw, list | tuple) and len(raw) == 2:
        return float(raw[0]), float(raw[1])
    raise ValueError(f"[{model!r}] must be {{'in': usd, 'out': usd}} or [in, out], got {raw!r}")


def _as_utc(moment: datetime) -> datetime:
    """A naive time is UTC, as everywhere in the pipeline."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _comma_list(value: Any) -> Any:
    if isinstance(value, str):
        return tuple(s.strip() for s in value.split(",") if s.strip())
    return value


class Settings(BaseSettings):
    """One deployment's configuration. Build it with `load_settings()`; a changed copy with
    `settings.model_copy(update={...})`."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_ignore_empty=True,  # VAR= means "the default", as in a compose .env
        enable_decoding=False,  # lists and JSON are parsed by the validators below, one way
        frozen=True,
        extra="ignore",
    )

    # --- where things are ----------------------------------------------------------------------
    home: Path = PROJECT_ROOT / ".work"  # working folder: embedded Postgres, Data Docs, reports
    lake_url: str = ""  # empty: file://$TICKERPULSE_HOME/lake
    database_url: str | None = Field(None, validation_alias="DATABASE_URL", repr=False)
    sql_dir: Path = PROJECT_ROOT / "sql"
    pg_bin: Path | None = None  # folder of pg_dump/pg_restore matching the server's version

    # --- sources -------------------------------------------------------------------------------
    # replay | praw; replay | yfinance. Checked where the source is built (sources/factory.py).
    reddit_source: str = "replay"
    price_source: str = "replay"
    replay_dir: Path = SAMPLE_DIR
    # yfinance's own switch (it reads it too): plain requests instead of curl_cffi.
    yf_disable_curl_cffi: bool = Field(False, validation_alias="YF_DISABLE_CURL_CFFI")

    # --- runs: the DAG param defaults, and the first interval processed -------------------------
    start_date: datetime = datetime(2024, 3, 4, tzinfo=UTC)
    subreddits: tuple[str, ...] = DEFAULT_SUBREDDITS
    post_limit: int = Field(1000, ge=1, le=POST_LIMIT_MAX)
    scorer: Scorer = Scorer.OFFLINE
    llm_policy: LlmPolicy = LlmPolicy.ALWAYS
    refresh_raw: bool = False  # fetch again even when the raw partition exists

    # --- Reddit: the one request budget, late_scores' priorities, the collector ------------------
    reddit_requests_per_minute: int = Field(
        100,
        ge=1,
        description="Reddit requests a minute for every caller together (sweeps, the collector, "
        "late_scores), shared across processes through the warehouse (tickerpulse.reddit_budget)",
    )
    reddit_retry_headroom: float = Field(
        0.1,
        ge=0,
        lt=1,
        description="share of the request budget kept for retries: first tries wait rather than "
        "spend it",
    )
    late_scores_ages_hours: tuple[float, ...] = Field(
        (1.0, 6.0, 24.0),
        description="ages (hours) at which late_scores refreshes comments that mention tickers; "
        "posts are refreshed every run up to 36 h",
    )
    late_scores_max_requests: int = Field(
        300,
        ge=1,
        description="the most /api/info requests (100 ids each) one late_scores run may send",
    )
    collect_min_poll_seconds: float = Field(
        5.0,
        gt=0,
        description="the collector's shortest wait between two polls of a listing",
    )
    collect_max_poll_seconds: float = Field(
        30.0,
        gt=0,
        description="the collector's longest wait between two polls of a listing: a burst of "
        "1,000 a minute fills the ~1,000-item reach in a minute, so never more than ~30 s",
    )

    # --- the sentiment_analysis and sentiment_eval DAGs' param defaults ---------------------------
    analysis_window_days: int = Field(30, ge=2, le=365)
    analysis_min_mentions: int = Field(5, ge=1)
    analysis_fetch_daily: bool = True
    eval_dataset: str = "../shared/data/financial_phrasebank/Sentences_AllAgree.txt"

    # Per subreddit, company-name aliases that are not the ticker there:
    # "robinhood:Robinhood;coinbase:Coinbase" (sub:Alias|Other alias; ...).
    ignored_aliases: dict[str, tuple[str, ...]] = Field(
        default_factory=lambda: parse_ignored_aliases(DEFAULT_IGNORED_ALIASES)
    )

    # --- privacy -------------------------------------------------------------------------------
    author_salt: str = Field("tickerpulse-default-salt", min_length=1, repr=False)
    store_author_name: bool = False  # raw Reddit user names next to the hashes; off by default

    # --- batching and scoring ------------------------------------------------------------------
    token_budget: int = Field(6000, ge=1)
    max_items_per_batch: int = Field(150, ge=1)
    max_shards: int = Field(64, ge=1)
    near_duplicate_k: int = Field(3, ge=0, le=64)  # SimHash Hamming distance of a near duplicate
    llm_budget_usd: float | None = Field(None, ge=0)  # the LLM spend cap of one DAG run
    llm_sample_rate: float = Field(0.1, ge=0, le=1)  # llm_policy=sample_outside
    batch_poll_seconds: float = Field(60.0, gt=0)  # the Batch API prefill's triggerer poll
    # USD per million tokens: {"model": {"in": usd, "out": usd}} (or [in, out]), JSON.
    llm_prices: dict[str, tuple[float, float]] = Field(default_factory=dict)
    llm_price_in: float | None = Field(None, ge=0)  # older: one price for models not in the table
    llm_price_out: float | None = Field(None, ge=0)
    # The LLM of the `tickerpulse score/eval --scorer llm` CLI (tasks use the llm_default conn).
    llm_base_url: str | None = None
    llm_api_key: SecretStr | None = None
    llm_model: str | None = None

    # --- connection ids ------------------------------------------------------------------------
    llm_conn_id: str = "llm_default"
    reddit_conn_id: str = "reddit_default"
    db_conn_id: str = "tickerpulse_db"
    alert_conn_id: str = "tickerpulse_alerts"

    # --- aggregation (tickerpulse.aggregation.AggregationConfig) ---------------------------------
    decay_lambda: float = Field(0.1, ge=0)
    source_weights: dict[str, float] = Field(default_factory=dict)  # "wallstreetbets=1,stocks=0.8"
    default_source_weight: float = Field(1.0, gt=0)
    post_count_k: float = Field(0.1, ge=0)
    post_count_max_bonus: float = Field(0.5, ge=0)
    confidence_scale: float = Field(3.0, gt=0)

    # --- sink switches (tickerpulse.ops.switches; an Airflow Variable wins when a task runs) -----
    sink_object_store: bool = True
    sink_warehouse: bool = True
    sink_llm_scoring: bool = True

    # --- the tickerpulse_maintenance DAG ---------------------------------------------------------
    backup_keep_days: int = Field(14, ge=0)
    backup_keep_min: int = Field(3, ge=1)
    raw_keep_days: int = Field(400, ge=1)
    derived_keep_days: int = Field(14, ge=1)
    nasdaq_listed_url: str = "https://www.nasdaqtrader.com/dynamic/SymDir/nasdaqlisted.txt"
    other_listed_url: str = "https://www.nasdaqtrader.com/dynamic/SymDir/otherlisted.txt"

    # --- surge score (sql/queries/aggregate_signals.sql) ----------------------------------------
    # The history a ticker's baseline reads, how long a ticker must have been seen before it can
    # surge, how many same-hour-of-the-week buckets make that baseline usable, and the trend.
    surge_lookback_days: int = Field(28, ge=1)
    surge_min_history_days: float = Field(7.0, ge=0)
    surge_min_seasonal_samples: int = Field(6, ge=1)
    surge_trend_buckets: int = Field(4, ge=1)
    surge_trend_ratio: float = Field(1.5, gt=1)

    # --- the JSON API (tickerpulse api) ----------------------------------------------------------
    # A login that is a member of tickerpulse_reader only (None: `tickerpulse api` provisions a
    # local one, see api/db.py).
    api_database_url: str | None = Field(None, repr=False)

    # --- Airflow -------------------------------------------------------------------------------
    # Modules the scheduler imports before forking LocalExecutor workers (plugins/); a, b, c.
    preload_modules: tuple[str, ...] = ()

    # The environment the settings were read from: AIRFLOW_CONN_* lookups read the same one.
    _environ: Mapping[str, str] = PrivateAttr(default_factory=lambda: os.environ)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Only the values passed in: `load_settings()` reads the environment (or a mapping)."""
        return (init_settings,)

    @model_validator(mode="before")
    @classmethod
    def _strip(cls, data: Any) -> Any:
        """Surrounding blanks are never meant; a blank value means the default, like unset."""
        if not isinstance(data, dict):
            return data
        stripped = {k: v.strip() if isinstance(v, str) else v for k, v in data.items()}
        return {k: v for k, v in stripped.items() if v != ""}

    @field_validator("home")
    @classmethod
    def _absolute_home(cls, value: Path) -> Path:
        return value.resolve()

    @field_validator("lake_url")
    @classmethod
    def _lake_url(cls, value: str, info: ValidationInfo) -> str:
        home = info.data.get("home")
        if not value and home is not None:
            value = (home / "lake").as_uri()
        return value.rstrip("/")

    @field_validator("start_date")
    @classmethod
    def _start_in_utc(cls, value: datetime) -> datetime:
        return _as_utc(value)

    @field_validator("subreddits", "preload_modules", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        return _comma_list(value)

    @field_validator("late_scores_ages_hours", mode="before")
    @classmethod
    def _ages(cls, value: Any) -> Any:
        value = _comma_list(value)
        return tuple(sorted(float(v) for v in value)) if isinstance(value, tuple) else value

    @field_validator("subreddits")
    @classmethod
    def _subreddit_names(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("name at least one subreddit")
        bad = [s for s in value if not re.fullmatch(SUBREDDIT_PATTERN, s)]
        if bad:
            raise ValueError(f"not subreddit names (letters, digits, _; 2-21): {bad}")
        # Case-insensitive on Reddit; lower case in the lake, as `tickerpulse import` writes them.
        return tuple(dict.fromkeys(s.lower() for s in value))

    @field_validator("llm_prices", mode="before")
    @classmethod
    def _price_table(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = json.loads(value)
        if not isinstance(value, Mapping):
            raise ValueError("must be a JSON object {model: {in, out}}")
        return {str(model): _price_pair(str(model), raw) for model, raw in value.items()}

    @field_validator("ignored_aliases", mode="before")
    @classmethod
    def _aliases(cls, value: Any) -> Any:
        return parse_ignored_aliases(value) if isinstance(value, str) else value

    @field_validator("source_weights", mode="before")
    @classmethod
    def _weights(cls, value: Any) -> Any:
        return parse_source_weights(value) if isinstance(value, str) else value

    @property
    def docs_dir(self) -> Path:
        return self.home / "data_docs"

    @property
    def warehouse_on(self) -> bool:
        """The warehouse sink switch, resolved once per task (tickerpulse.ops.switches)."""
        return self.sink_warehouse

    @classmethod
    def env_var(cls, field: str) -> str:
        """The environment variable of a field: `post_limit` -> TICKERPULSE_POST_LIMIT."""
        alias = cls.model_fields[field].validation_alias
        return alias if isinstance(alias, str) else ENV_PREFIX + field.upper()

    @classmethod
    def env_vars(cls) -> dict[str, str]:
        """Every variable the settings read, by field: what .env.example and the README list."""
        return {field: cls.env_var(field) for field in cls.model_fields}

    def connection_env(self, conn_id: str) -> str | None:
        """The `AIRFLOW_CONN_<CONN_ID>` variable (a connection as JSON or URI), None when unset."""
        raw = self._environ.get(f"AIRFLOW_CONN_{conn_id.upper()}", "").strip()
        return raw or None

    def check_start_date(self, start: datetime, end: datetime, what: str) -> None:
        """Refuse a run whose data, [start, end), lies wholly before TICKERPULSE_START_DATE,
        saying what to set: such a run would find nothing and must not pass for a success."""
        if _as_utc(end) > self.start_date:
            return
        raise BeforeStartDate(
            f"{what} is before TICKERPULSE_START_DATE ({self.start_date:%Y-%m-%dT%H:%M}Z):"
            f" nothing was processed. To process it, set TICKERPULSE_START_DATE="
            f"{_as_utc(start):%Y-%m-%dT%H:%M}Z (or earlier) where the DAGs run (Airflow's"
            " workers, the demo) and run it again."
        )


class _Environment(EnvSettingsSource):
    """pydantic-settings' environment source, reading a given mapping instead of os.environ."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        self._environ = environ
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return parse_env_vars(
            self._environ, self.case_sensitive, self.env_ignore_empty, self.env_parse_none_str
        )


def _explain(error: ValidationError) -> str:
    lines = []
    for problem in error.errors():
        key = str(problem["loc"][0]) if problem["loc"] else "?"
        var = Settings.env_var(key) if key in Settings.model_fields else key  # else an alias
        lines.append(f"{var}={problem.get('input')!r}: {problem['msg']}")
    return "invalid settings in the environment:\n  " + "\n  ".join(lines)


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """The settings from the process environment, or from `environ` (tests) in its place."""
    environ = os.environ if environ is None else environ
    values = _Environment(Settings, environ)()
    try:
        settings = Settings(**values)
    except ValidationError as exc:
        raise SettingsError(_explain(exc)) from None
    settings._environ = environ
    return settings


def process_environment(**overrides: str) -> dict[str, str]:
    """The environment to hand a subprocess (pg_dump): this process's, plus `overrides`."""
    return {**os.environ, **overrides}


def executable_dirs() -> list[Path]:
    """The folders of PATH, in order."""
    return [Path(entry) for entry in os.environ.get("PATH", "").split(os.pathsep) if entry]
