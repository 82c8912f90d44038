"""Pick the scorer for a run: the offline one by default, the LLM when asked for and configured."""

from __future__ import annotations

from tickerpulse.config import Settings
from tickerpulse.connections import get_connection
from tickerpulse.scoring.base import Scorer


def make_scorer(name: str, settings: Settings) -> Scorer:
    if name == "offline":
        from tickerpulse.scoring.offline import OfflineScorer

        return OfflineScorer()
    if name == "llm":
        from tickerpulse.scoring.llm import LlmScorer

        conn = get_connection(settings.llm_conn_id, settings)
        if conn is None:
            raise RuntimeError(
                f"scorer 'llm' needs the Airflow connection {settings.llm_conn_id!r} "
                '(host=base URL, password=API key, extra {"model": ...}); see .env.example'
            )
        return LlmScorer.from_connection(conn)
    raise ValueError(f"unknown scorer {name!r}")
