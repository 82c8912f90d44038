"""Settings from the environment, read once per task.

Everything the pipeline needs to know about where it runs comes from here, so the same code runs in
`make demo` (local folder, embedded Postgres, replay sources, offline scorer) and in production
(S3, a managed Postgres, praw, an LLM) with no code change. Airflow Variables are not read here:
they would need a metadata-database lookup, and the DAG file must parse without one.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PACKAGE_DIR = Path(__file__).resolve().parent
SAMPLE_DIR = PACKAGE_DIR / "data" / "sample"
DEFAULT_SUBREDDITS = ("wallstreetbets", "stocks", "investing")
# The DAGs' start_date: a run or backfill before it executes nothing (Airflow's rule).
DEFAULT_START_DATE = datetime(2024, 3, 4, tzinfo=UTC)
# Company-name aliases that mean something else in a subreddit: in r/robinhood "Robinhood" is
# the broker's app, in r/coinbase the exchange, not the listed stock (see README).
DEFAULT_IGNORED_ALIASES = "robinhood:Robinhood;coinbase:Coinbase;sofi:SoFi"


def _flag(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _start_date() -> datetime:
    """TICKERPULSE_START_DATE: ISO 8601; a date or a time without a zone is UTC."""
    raw = os.environ.get("TICKERPULSE_START_DATE", "").strip()
    if not raw:
        return DEFAULT_START_DATE
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValueError(
            f"TICKERPULSE_START_DATE must be an ISO 8601 date or time, got {raw!r}"
        ) from exc
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


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
    # TICKERPULSE_START_DATE: the DAGs' start_date.
    start_date: datetime = DEFAULT_START_DATE
    # TICKERPULSE_IGNORED_ALIASES: per subreddit, company-name aliases that are not the ticker.
    ignored_aliases: dict[str, tuple[str, ...]] = field(
        default_factory=lambda: parse_ignored_aliases(DEFAULT_IGNORED_ALIASES)
    )

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
        start_date=_start_date(),
        ignored_aliases=parse_ignored_aliases(
            os.environ.get("TICKERPULSE_IGNORED_ALIASES", DEFAULT_IGNORED_ALIASES)
        ),
    )
