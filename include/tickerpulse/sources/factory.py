"""Pick the live or replay implementation from the settings.

Live sources need credentials from an Airflow connection; a missing connection is a clear error
at run time, never a lookup at DAG parse time.
"""

from __future__ import annotations

from tickerpulse.config import Settings
from tickerpulse.connections import get_connection
from tickerpulse.reddit_budget import RequestBudget
from tickerpulse.sources.base import PriceSource, RedditSource


def reddit_source(settings: Settings) -> RedditSource:
    if settings.reddit_source == "replay":
        from tickerpulse.sources.reddit_replay import ReplayRedditSource

        return ReplayRedditSource(settings.replay_dir)
    if settings.reddit_source in {"praw", "live"}:
        from tickerpulse.sources.reddit_praw import PrawRedditSource

        conn = get_connection(settings.reddit_conn_id, settings)
        if conn is None:
            raise RuntimeError(
                f"TICKERPULSE_REDDIT_SOURCE={settings.reddit_source} needs the Airflow connection "
                f"{settings.reddit_conn_id!r} (login=client_id, password=client_secret, "
                'extra {"user_agent": ...}); see .env.example'
            )
        budget = request_budget(settings, client=str(conn.get("login") or "reddit"))
        return PrawRedditSource.from_connection(conn, before_request=budget.take)
    raise ValueError(f"unknown TICKERPULSE_REDDIT_SOURCE {settings.reddit_source!r}")


def request_budget(settings: Settings, client: str = "reddit") -> RequestBudget:
    """The Reddit request budget every caller shares: in the warehouse (across processes) when
    it is on, else in this process only."""
    from tickerpulse.reddit_budget import LocalRequestBudget, PostgresRequestBudget

    if settings.warehouse_on:
        from tickerpulse.warehouse.db import resolve_dsn

        return PostgresRequestBudget(
            resolve_dsn(settings),
            settings.reddit_requests_per_minute,
            settings.reddit_retry_headroom,
            client=client,
        )
    return LocalRequestBudget(settings.reddit_requests_per_minute, settings.reddit_retry_headroom)


def price_source(settings: Settings) -> PriceSource:
    if settings.price_source == "replay":
        from tickerpulse.sources.prices_replay import ReplayPriceSource

        return ReplayPriceSource(settings.replay_dir)
    if settings.price_source in {"yfinance", "live"}:
        from tickerpulse.sources.prices_yfinance import YFinancePriceSource

        return YFinancePriceSource()
    raise ValueError(f"unknown TICKERPULSE_PRICE_SOURCE {settings.price_source!r}")
