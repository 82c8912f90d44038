"""Settings from the environment, read once per task.

Everything the pipeline needs to know about where it runs comes from here, so the same code runs in
`make demo` (local folder, embedded Postgres, replay sources, offline scorer) and in production
(S3, a managed Postgres, praw, an LLM) with no code change. Airflow Variables are not read here:
they would need a metadata-database lookup, and the DAG file must parse without one.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PACKAGE_DIR = Path(__file__).resolve().parent
SAMPLE_DIR = PACKAGE_DIR / "data" / "sample"
DEFAULT_SUBREDDITS = ("wallstreetbets", "stocks", "investing")


def _flag(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _optional_float(name: str) -> float | None:
    """A non-negative number, or None when unset or empty; anything else is an error."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    value = float(raw)
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {raw!r}")
    return value


@dataclass(frozen=True)
class Settings:
    home: Path
    lake_url: str
    database_url: str | None
    reddit_source: str
    price_source: str
    replay_dir: Path
    scorer: str
    subreddits: tuple[str, ...]
    post_limit: int
    author_salt: str
    store_author_name: bool  # raw Reddit user names next to the hashes; off by default
    token_budget: int
    max_items_per_batch: int
    max_shards: int
    llm_conn_id: str
    reddit_conn_id: str
    db_conn_id: str
    sinks: dict[str, bool] = field(default_factory=dict)
    # TICKERPULSE_LLM_BUDGET_USD: the LLM spend cap of one DAG run (None: no cap).
    llm_budget_usd: float | None = None
    # Surge score (sql/queries/aggregate_signals.sql): the history a ticker's baseline reads, how
    # long a ticker must have been seen before it can surge, how many same-hour-of-the-week buckets
    # make that baseline usable, and the trend's windows.
    surge_lookback_days: int = 28
    surge_min_history_days: float = 7.0
    surge_min_seasonal_samples: int = 6
    surge_trend_buckets: int = 4
    surge_trend_ratio: float = 1.5
    # TICKERPULSE_API_DATABASE_URL: the JSON API's DSN, a login that is a member of
    # tickerpulse_reader only (None: `tickerpulse api` provisions a local one, see api/db.py).
    api_database_url: str | None = None

    @property
    def docs_dir(self) -> Path:
        return self.home / "data_docs"

    @property
    def warehouse_on(self) -> bool:
        """The warehouse sink switch (tickerpulse.ops.switches), resolved once per task."""
        return self.sinks.get("warehouse", True)


def load_settings() -> Settings:
    home = Path(os.environ.get("TICKERPULSE_HOME", str(PROJECT_ROOT / ".work"))).resolve()
    lake_url = os.environ.get("TICKERPULSE_LAKE_URL") or (home / "lake").as_uri()
    subs = os.environ.get("TICKERPULSE_SUBREDDITS", ",".join(DEFAULT_SUBREDDITS))
    return Settings(
        home=home,
        lake_url=lake_url.rstrip("/"),
        database_url=os.environ.get("DATABASE_URL") or None,
        reddit_source=os.environ.get("TICKERPULSE_REDDIT_SOURCE", "replay"),
        price_source=os.environ.get("TICKERPULSE_PRICE_SOURCE", "replay"),
        replay_dir=Path(os.environ.get("TICKERPULSE_REPLAY_DIR", str(SAMPLE_DIR))),
        scorer=os.environ.get("TICKERPULSE_SCORER", "offline"),
        subreddits=tuple(s.strip() for s in subs.split(",") if s.strip()),
        post_limit=int(os.environ.get("TICKERPULSE_POST_LIMIT", "1000")),
        author_salt=os.environ.get("TICKERPULSE_AUTHOR_SALT", "tickerpulse-default-salt"),
        store_author_name=os.environ.get("TICKERPULSE_STORE_AUTHOR_NAME", "").strip().lower()
        in ("1", "true", "yes", "on"),
        token_budget=int(os.environ.get("TICKERPULSE_TOKEN_BUDGET", "6000")),
        max_items_per_batch=int(os.environ.get("TICKERPULSE_MAX_ITEMS_PER_BATCH", "150")),
        max_shards=int(os.environ.get("TICKERPULSE_MAX_SHARDS", "64")),
        llm_conn_id=os.environ.get("TICKERPULSE_LLM_CONN_ID", "llm_default"),
        reddit_conn_id=os.environ.get("TICKERPULSE_REDDIT_CONN_ID", "reddit_default"),
        db_conn_id=os.environ.get("TICKERPULSE_DB_CONN_ID", "tickerpulse_db"),
        llm_budget_usd=_optional_float("TICKERPULSE_LLM_BUDGET_USD"),
        surge_lookback_days=int(os.environ.get("TICKERPULSE_SURGE_LOOKBACK_DAYS") or 28),
        surge_min_history_days=float(os.environ.get("TICKERPULSE_SURGE_MIN_HISTORY_DAYS") or 7),
        surge_min_seasonal_samples=int(
            os.environ.get("TICKERPULSE_SURGE_MIN_SEASONAL_SAMPLES") or 6
        ),
        surge_trend_buckets=int(os.environ.get("TICKERPULSE_SURGE_TREND_BUCKETS") or 4),
        surge_trend_ratio=float(os.environ.get("TICKERPULSE_SURGE_TREND_RATIO") or 1.5),
        api_database_url=os.environ.get("TICKERPULSE_API_DATABASE_URL") or None,
    )
