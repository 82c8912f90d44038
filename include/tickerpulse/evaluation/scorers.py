"""The scorers an eval can run, behind one small interface that scores plain texts.

Eval data has no tickers, but the LLM scorer scores (post, ticker) pairs; each text is sent with
one stand-in ticker, SUBJECT, meaning "the company or asset the text is about", so the LLM path
is the same request, schema and checks as in the pipeline.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from tickerpulse.choices import EVAL_SCORERS
from tickerpulse.scoring.base import PostToScore

if TYPE_CHECKING:  # the settings machinery (pydantic) is imported only where it is used
    from tickerpulse.config import Settings

SCORER_NAMES = EVAL_SCORERS
SUBJECT_TICKER = "SUBJECT"
LLM_BATCH = 20


@dataclass(frozen=True)
class Prediction:
    score: float | None  # None: the scorer left the text unscored
    reasoning: str


class TextScorer(Protocol):
    name: str
    version: str
    model: str | None
    prompt_version: str | None

    def predict(self, texts: Sequence[tuple[str, str]]) -> list[Prediction]: ...


class _LocalScorer:
    """Offline and VADER: one text at a time, in process."""

    def __init__(self, scorer: Any) -> None:
        self._scorer = scorer
        self.name: str = scorer.name
        self.version: str = scorer.version
        self.model: str | None = scorer.model
        self.prompt_version: str | None = scorer.prompt_version

    def predict(self, texts: Sequence[tuple[str, str]]) -> list[Prediction]:
        score_text = self._scorer.score_text
        return [Prediction(*score_text(text)) for _id, text in texts]


class _LlmTextScorer:
    def __init__(self, scorer: Any, batch_size: int = LLM_BATCH) -> None:
        self._scorer = scorer
        self._batch = batch_size
        self.name = "llm"
        self.version: str = scorer.version
        self.model: str | None = scorer.model
        self.prompt_version: str | None = scorer.prompt_version
        self.calls = 0

    def predict(self, texts: Sequence[tuple[str, str]]) -> list[Prediction]:
        out: dict[str, Prediction] = {}
        for start in range(0, len(texts), self._batch):
            chunk = texts[start : start + self._batch]
            result = self._scorer.score_batch(
                [PostToScore(pid, text, (SUBJECT_TICKER,)) for pid, text in chunk]
            )
            self.calls += result.calls
            for s in result.scores:
                out[s.post_id] = Prediction(s.score, s.reasoning)
            for pid, reason in result.unscored.items():
                out[pid] = Prediction(None, f"unscored: {reason}")
        return [out.get(pid, Prediction(None, "unscored: no result")) for pid, _ in texts]


def llm_connection_from_settings(settings: Settings) -> dict[str, Any] | None:
    """The CLI's LLM as a connection dict (TICKERPULSE_LLM_BASE_URL, _API_KEY, _MODEL), or None
    when no base URL is set."""
    if not settings.llm_base_url:
        return None
    key = settings.llm_api_key
    return {
        "host": settings.llm_base_url,
        "password": key.get_secret_value() if key is not None else "",
        "extra": {"model": settings.llm_model or ""},
    }


def build_scorer(
    name: str, prompt_version: str | None = None, llm_connection: dict[str, Any] | None = None
) -> TextScorer:
    """A scorer by name; `llm` needs a connection dict (host = base URL, password, extra.model)."""
    if name == "offline":
        from tickerpulse.scoring.offline import OfflineScorer

        return _LocalScorer(OfflineScorer())
    if name == "vader":
        from tickerpulse.scoring.vader_baseline import VaderScorer

        return _LocalScorer(VaderScorer())
    if name == "llm":
        from tickerpulse.scoring.llm import LlmScorer

        if llm_connection is None:
            raise ValueError(
                "scorer 'llm' needs an LLM: set TICKERPULSE_LLM_BASE_URL, TICKERPULSE_LLM_API_KEY "
                "and TICKERPULSE_LLM_MODEL, or the Airflow connection llm_default"
            )
        extra = llm_connection.get("extra") or {}
        if isinstance(extra, str):
            extra = json.loads(extra) if extra.strip() else {}
        if not llm_connection.get("host") or not extra.get("model"):
            raise ValueError("the LLM needs a base URL and a model")
        scorer = LlmScorer(
            base_url=llm_connection["host"],
            api_key=llm_connection.get("password") or "",
            model=extra["model"],
            prompt_version=prompt_version or extra.get("prompt_version", "v1"),
            max_retries=int(extra.get("max_retries", 2)),
            timeout=float(extra.get("timeout", 60.0)),
        )
        return _LlmTextScorer(scorer)
    raise ValueError(f"unknown scorer {name!r} (use {', '.join(SCORER_NAMES)})")
