"""Sentiment from an OpenAI-compatible chat endpoint, with structured output checked post by post.

The model's answer is untrusted: a post whose result is missing, duplicated, out of range or cut
off is asked again on its own, once, and otherwise reported as unscored with the reason, so no
post is ever dropped silently. Transport failures and server errors that outlast the client's own
retries (which honour Retry-After) are raised, so the task fails and Airflow retries it, instead
of marking a whole batch unscored because the endpoint had a bad minute.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

import openai
from openai.types.chat import ChatCompletionMessageParam
from openai.types.shared_params import ResponseFormatJSONSchema

from tickerpulse.scoring.base import (
    BEARISH,
    BULLISH,
    NEUTRAL,
    BatchResult,
    PostToScore,
    TickerScore,
)

log = logging.getLogger(__name__)

LABELS = (BULLISH, BEARISH, NEUTRAL)
_VERSION_LINE = re.compile(r"^#\s*version:\s*(?P<version>\S+)\s*$")
_SAFE_VERSION = re.compile(r"^[A-Za-z0-9._-]+$")

# Static, so the provider can cache the compiled grammar across requests. Reasoning comes before
# the score so that a model that writes fields in order thinks before it commits to a number.
RESPONSE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["results"],
    "properties": {
        "results": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["id", "tickers"],
                "properties": {
                    "id": {"type": "string"},
                    "tickers": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "additionalProperties": False,
                            "required": ["ticker", "reasoning", "score", "label"],
                            "properties": {
                                "ticker": {"type": "string"},
                                "reasoning": {"type": "string"},
                                "score": {"type": "number", "minimum": -1, "maximum": 1},
                                "label": {"type": "string", "enum": list(LABELS)},
                            },
                        },
                    },
                },
            },
        }
    },
}
RESPONSE_FORMAT: ResponseFormatJSONSchema = {
    "type": "json_schema",
    "json_schema": {"name": "sentiment_batch", "strict": True, "schema": RESPONSE_SCHEMA},
}


@dataclass(frozen=True)
class Prompt:
    version: str
    text: str


def load_prompt(version: str) -> Prompt:
    """Read `prompts/sentiment_<version>.txt`; its `# version:` header must name the same version.

    The header is what gets stored with every score, so a copied file whose header was not
    updated would silently mix two prompts under one version: that is refused here.
    """
    if not _SAFE_VERSION.match(version):
        raise ValueError(f"invalid prompt version {version!r}")
    path = resources.files("tickerpulse") / "prompts" / f"sentiment_{version}.txt"
    if not path.is_file():
        raise FileNotFoundError(f"no prompt file for version {version!r}: {path}")
    lines = path.read_text(encoding="utf-8").splitlines()
    header_len = next((i for i, line in enumerate(lines) if not line.startswith("#")), len(lines))
    declared = [m["version"] for line in lines[:header_len] if (m := _VERSION_LINE.match(line))]
    if declared != [version]:
        raise ValueError(f"{path} must declare '# version: {version}' once in its header")
    text = "\n".join(lines[header_len:]).strip()
    if not text:
        raise ValueError(f"{path} has no prompt text")
    return Prompt(version=version, text=text)


class LlmScorer:
    """One chat-completions request per batch, plus one request per post that came back bad."""

    name = "llm"

    def __init__(
        self,
        base_url: str,
        api_key: str,
        model: str,
        prompt_version: str = "v1",
        max_retries: int = 2,
        timeout: float = 60.0,
    ) -> None:
        self.prompt = load_prompt(prompt_version)
        self.model: str | None = model
        self.prompt_version: str | None = self.prompt.version
        self.version = f"{model}@{self.prompt.version}"
        self._model = model
        self._client = openai.OpenAI(
            base_url=base_url, api_key=api_key, max_retries=max_retries, timeout=timeout
        )

    @classmethod
    def from_connection(cls, conn: dict[str, Any]) -> LlmScorer:
        """Build from an Airflow connection as a plain dict (host=base_url, password=api key)."""
        extra = conn.get("extra") or {}
        if isinstance(extra, str):
            extra = json.loads(extra) if extra.strip() else {}
        if not conn.get("host") or not extra.get("model"):
            raise ValueError('the LLM connection needs host (base_url) and extra {"model": ...}')
        return cls(
            base_url=conn["host"],
            api_key=conn.get("password") or "",
            model=extra["model"],
            prompt_version=extra.get("prompt_version", "v1"),
            max_retries=int(extra.get("max_retries", 2)),
            timeout=float(extra.get("timeout", 60.0)),
        )

    def score_batch(self, posts: Sequence[PostToScore]) -> BatchResult:
        ids = [p.post_id for p in posts]
        if len(set(ids)) != len(ids):
            raise ValueError("score_batch got the same post id more than once")
        result = BatchResult()
        to_send = []
        for post in posts:
            if post.tickers:
                to_send.append(post)
            else:
                result.unscored[post.post_id] = "no tickers to score"
        if not to_send:
            return result
        problems = self._ask(to_send, result)
        for post in to_send:
            if post.post_id not in problems:
                continue
            first = problems[post.post_id]
            log.info("re-asking post %s alone: %s", post.post_id, first)
            again = self._ask([post], result)
            if post.post_id in again:
                result.unscored[post.post_id] = f"{first}; re-asked alone: {again[post.post_id]}"
        return result

    def _ask(self, posts: Sequence[PostToScore], result: BatchResult) -> dict[str, str]:
        """Send one request; add valid scores to `result`; return post_id -> problem for others."""
        messages: list[ChatCompletionMessageParam] = [
            {"role": "system", "content": self.prompt.text},
            {"role": "user", "content": _user_message(posts)},
        ]
        try:
            raw = self._client.chat.completions.with_raw_response.create(
                model=self._model, messages=messages, response_format=RESPONSE_FORMAT
            )
        except openai.BadRequestError as exc:
            # A 400 is about this request's content (too long, filtered): smaller asks may pass.
            result.calls += 1
            return {p.post_id: f"request rejected ({exc.status_code})" for p in posts}
        result.calls += 1 + raw.retries_taken
        completion = raw.parse()
        if completion.usage is not None:
            result.tokens_in += completion.usage.prompt_tokens
            result.tokens_out += completion.usage.completion_tokens
        reason = None
        answer: Any = None
        if not completion.choices:
            reason = "response had no choices"
        else:
            choice = completion.choices[0]
            if choice.finish_reason == "length":
                reason = "response cut off (finish_reason=length)"
            elif choice.message.refusal:
                reason = "model refused"
            else:
                try:
                    answer = json.loads(choice.message.content or "")
                except json.JSONDecodeError:
                    reason = "response is not valid JSON"
        items = answer.get("results") if isinstance(answer, dict) else None
        if reason is None and isinstance(items, list):
            return _collect(posts, items, result)
        return {p.post_id: reason or "response does not match the schema" for p in posts}


def _user_message(posts: Sequence[PostToScore]) -> str:
    payload = [{"id": p.post_id, "tickers": list(p.tickers), "text": p.text} for p in posts]
    return json.dumps(payload, ensure_ascii=False)


def _collect(posts: Sequence[PostToScore], items: list[Any], result: BatchResult) -> dict[str, str]:
    sent = {p.post_id: p for p in posts}
    answers: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        post_id = item.get("id") if isinstance(item, dict) else None
        if not isinstance(post_id, str) or post_id not in sent:
            log.warning("ignoring a result for an id that was not sent: %r", post_id)
            continue
        answers.setdefault(post_id, []).append(item)
    problems: dict[str, str] = {}
    for post_id, post in sent.items():
        found = answers.get(post_id, [])
        if not found:
            problems[post_id] = "id missing from response"
        elif len(found) > 1:
            problems[post_id] = "id returned more than once"
        else:
            scores, problem = _ticker_scores(post, found[0])
            if problem is None:
                result.scores.extend(scores)
            else:
                problems[post_id] = problem
    return problems


def _ticker_scores(post: PostToScore, item: dict[str, Any]) -> tuple[list[TickerScore], str | None]:
    entries = item.get("tickers")
    if not isinstance(entries, list):
        return [], "tickers is not a list"
    wanted = {_norm(t): t for t in post.tickers}
    by_ticker: dict[str, TickerScore] = {}
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("ticker"), str):
            return [], "malformed ticker entry"
        ticker = wanted.get(_norm(entry["ticker"]))
        if ticker is None:
            continue  # the model may only score what was sent; anything else is ignored
        if ticker in by_ticker:
            return [], f"ticker {ticker} scored more than once"
        score, label, reasoning = entry.get("score"), entry.get("label"), entry.get("reasoning")
        if isinstance(score, bool) or not isinstance(score, int | float):
            return [], f"score for {ticker} is not a number"
        if not math.isfinite(score) or not -1.0 <= score <= 1.0:
            return [], f"score for {ticker} out of range: {score!r}"
        if label not in LABELS:
            return [], f"label for {ticker} invalid: {label!r}"
        if not isinstance(reasoning, str):
            return [], f"reasoning for {ticker} is not text"
        by_ticker[ticker] = TickerScore(
            post.post_id, ticker, float(score), label, reasoning.strip()
        )
    missing = [t for t in post.tickers if t not in by_ticker]
    if missing:
        return [], f"no result for ticker(s) {', '.join(missing)}"
    return [by_ticker[t] for t in post.tickers], None


def _norm(ticker: str) -> str:
    return ticker.strip().lstrip("$").upper()
