"""Pick the live or replay implementation from the settings.

Live sources need credentials from an Airflow connection; a missing connection is a clear error
at run time, never a lookup at DAG parse time.
"""

from __future__ import annotations

from tickerpulse.config import Settings
from tickerpulse.connections import get_connection
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
        return PrawRedditSource.from_connection(conn)
    raise ValueError(f"unknown TICKERPULSE_REDDIT_SOURCE {settings.reddit_source!r}")


def price_source(settings: Settings) -> PriceSource:
    if settings.price_source == "replay":
        from tickerpulse.sources.prices_replay import ReplayPriceSource

        return ReplayPriceSource(settings.replay_dir)
    if settings.price_source in {"yfinance", "live"}:
        from tickerpulse.sources.prices_yfinance import YFinancePriceSource

        return YFinancePriceSource()
    raise ValueError(f"unknown TICKERPULSE_PRICE_SOURCE {settings.price_source!r}")
