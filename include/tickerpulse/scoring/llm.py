"""Sentiment from an OpenAI-compatible chat endpoint: packed, concurrent, rate-limited, checked.

`score_batches` sends many packed batches at once (bounded async concurrency, one shared client-side
rate limiter, see rate_limit.py) and treats every answer as untrusted: the ids returned must be
exactly the ids sent, every score in range, every listed ticker scored once. Posts whose result is
bad (missing, duplicated, out of range, invalid JSON, cut off by max_tokens, a 400) are re-asked,
and only they, in batches half the size of the one they failed in, down to single posts; a post
that fails alone after at least one re-ask is reported unscored with every reason it collected.

Transport failures (429, 5xx, timeouts, connection errors) are retried with backoff
(tickerpulse.retry) up to `max_attempts` per request. When they outlast that, the choice between
raising (the task fails, Airflow retries it) and marking the posts unscored is made per call:
- if *some* requests in the call got through, the failed ones' posts are marked unscored with the
  reason ("endpoint failed after 4 attempts: 503"). Raising would throw away the answers already
  paid for, and a re-run re-asks only the unscored posts (the scored ones come from the cache);
- if *none* got through, the endpoint is down rather than flaky, and `LlmUnavailable` is raised:
  a shard of unscored rows would only hide an outage that an Airflow retry later may ride out.
Errors that retrying cannot fix (401, 403, 404: key, permission, model name) are raised at once.

One post's text must not change another's result. Posts travel only as JSON string values in the
user message, the system prompt says they are data, the answer is accepted only per id and ticker
sent and only in the schema's shape, and a post that reads like an instruction to the model
("ignore previous instructions ...") is sent in a request of its own, so even a model that obeys
it can only spoil that post's own score.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import re
import threading
import time
from collections.abc import Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import openai
from openai.types.chat import ChatCompletionMessageParam

from tickerpulse.retry import Backoff, retry_after_s
from tickerpulse.scoring.answer import collect_results
from tickerpulse.scoring.base import (
    BatchResult,
    CallRecord,
    PostToScore,
    SpendGuard,
    TickerScore,
)
from tickerpulse.scoring.prompt import RESPONSE_FORMAT, load_prompt, user_message
from tickerpulse.scoring.rate_limit import RateLimiter
from tickerpulse.tokens import count_tokens

log = logging.getLogger(__name__)

T = TypeVar("T")

# max_tokens per request: what a worst-case answer needs, sized from the items sent. A reasoning
# sentence is about 25 tokens, the JSON around one ticker's entry about 25 more.
OUTPUT_FIXED = 32
OUTPUT_PER_POST = 16
OUTPUT_PER_TICKER = 56
MODEL_MAX_OUTPUT = 16384
# Chat-format framing per message and per request, as in OpenAI's token-counting recipe.
TOKENS_PER_MESSAGE = 3
TOKENS_PER_REQUEST = 3

_INJECTION = re.compile(
    r"\b(?:ignore|disregard|forget|override)\b[^.\n]{0,40}?\b(?:instructions?|prompts?|rules|"
    r"above)\b|\bsystem prompt\b|\byou are now\b|\bnew instructions\b|"
    r"\b(?:rate|score) (?:everything|all|every)\b",
    re.IGNORECASE,
)


class LlmUnavailable(RuntimeError):
    """No request of a call got through after all attempts: the endpoint is down, not flaky."""


def looks_like_injection(text: str) -> bool:
    """Post text that talks to the model; such a post is sent alone (see the module docstring)."""
    return _INJECTION.search(text) is not None


def estimate_prompt_tokens(messages: Sequence[Mapping[str, Any]]) -> int:
    """Input tokens of a chat request, counted as the provider does for its rate limits."""
    return TOKENS_PER_REQUEST + sum(
        TOKENS_PER_MESSAGE + count_tokens(str(m.get("content") or "")) for m in messages
    )


def max_tokens_for(posts: Sequence[PostToScore], cap: int = MODEL_MAX_OUTPUT) -> int:
    tickers = sum(len(p.tickers) for p in posts)
    return min(cap, OUTPUT_FIXED + OUTPUT_PER_POST * len(posts) + OUTPUT_PER_TICKER * tickers)


@dataclass
class _Outcome:
    """One request's fate after its transport attempts."""

    scores: list[TickerScore] = field(default_factory=list)
    problems: dict[str, str] = field(default_factory=dict)  # post_id -> why its result is bad
    over_budget: bool = False
    transport_error: str | None = None


@dataclass
class _Run:
    client: openai.AsyncOpenAI
    slots: asyncio.Semaphore
    guard: SpendGuard | None
    answered: int = 0  # requests that got an HTTP answer other than 429/5xx
    exhausted: int = 0  # requests that ran out of transport attempts
    in_flight: int = 0
    max_in_flight: int = 0


class LlmScorer:
    """Packed chat-completions requests, many at once, with every answer checked post by post."""

    name = "llm"

    def __init__(
        self,
        base_url: str,
        api_key: str,
        model: str,
        prompt_version: str = "v1",
        max_retries: int = 3,
        timeout: float = 60.0,
        *,
        max_attempts: int | None = None,
        concurrency: int = 8,
        rpm: float | None = None,
        tpm: float | None = None,
        rate_period_s: float = 60.0,
        max_output_tokens: int = MODEL_MAX_OUTPUT,
        backoff: Backoff | None = None,
        isolate_suspicious: bool = True,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.prompt = load_prompt(prompt_version)
        self.model: str | None = model
        self.prompt_version: str | None = self.prompt.version
        self.version = f"{model}@{self.prompt.version}"
        self._model = model
        self._base_url = base_url
        self._api_key = api_key
        self.timeout = timeout
        self.concurrency = concurrency
        self.max_output_tokens = max_output_tokens
        self.isolate_suspicious = isolate_suspicious
        attempts = max_attempts if max_attempts is not None else max_retries + 1
        self.backoff = backoff or Backoff()
        self.backoff.max_attempts = attempts  # the scorer's setting wins over the policy's default
        self.limiter = RateLimiter(rpm=rpm, tpm=tpm, period_s=rate_period_s)
        self.max_in_flight = 0  # highest number of requests in flight at once, last call

    @classmethod
    def from_connection(cls, conn: dict[str, Any]) -> LlmScorer:
        """Build from an Airflow connection as a plain dict (host=base_url, password=api key).

        extra: model (required), prompt_version, max_attempts (or max_retries = attempts - 1),
        timeout, concurrency, rpm, tpm, rate_period_s, max_output_tokens.
        """
        extra = conn.get("extra") or {}
        if isinstance(extra, str):
            extra = json.loads(extra) if extra.strip() else {}
        if not conn.get("host") or not extra.get("model"):
            raise ValueError('the LLM connection needs host (base_url) and extra {"model": ...}')

        def number(key: str) -> float | None:
            value = extra.get(key)
            return None if value in (None, "") else float(value)

        return cls(
            base_url=conn["host"],
            api_key=conn.get("password") or "",
            model=extra["model"],
            prompt_version=extra.get("prompt_version", "v1"),
            max_retries=int(extra.get("max_retries", 3)),
            timeout=float(extra.get("timeout", 60.0)),
            max_attempts=int(extra["max_attempts"]) if extra.get("max_attempts") else None,
            concurrency=int(extra.get("concurrency", 8)),
            rpm=number("rpm"),
            tpm=number("tpm"),
            rate_period_s=float(extra.get("rate_period_s", 60.0)),
            max_output_tokens=int(extra.get("max_output_tokens", MODEL_MAX_OUTPUT)),
        )

    # -- the request and the answer, shared with the Batch API path ---------------------------
    def request_body(self, posts: Sequence[PostToScore]) -> dict[str, Any]:
        """The exact JSON body of the chat-completions request for `posts`."""
        messages: list[ChatCompletionMessageParam] = [
            {"role": "system", "content": self.prompt.text},
            {"role": "user", "content": user_message(posts)},
        ]
        return {
            "model": self._model,
            "messages": messages,
            "response_format": RESPONSE_FORMAT,
            "max_tokens": max_tokens_for(posts, self.max_output_tokens),
        }

    def check_answer(
        self, posts: Sequence[PostToScore], content: str | None, finish_reason: str | None
    ) -> tuple[list[TickerScore], dict[str, str]]:
        """Valid scores from an answer, and post_id -> problem for every post without one."""
        reason = None
        answer: Any = None
        if finish_reason == "length":
            reason = "response cut off (finish_reason=length)"
        elif finish_reason == "content_filter":
            reason = "response filtered (finish_reason=content_filter)"
        elif not content:
            reason = "response has no content"
        else:
            try:
                answer = json.loads(content)
            except json.JSONDecodeError:
                reason = "response is not valid JSON"
        if reason is None:
            items = answer.get("results") if isinstance(answer, dict) else None
            if isinstance(items, list) and set(answer) == {"results"}:
                return collect_results(posts, items)
            reason = "response does not match the schema"
        return [], {p.post_id: reason for p in posts}

    # -- scoring --------------------------------------------------------------------------------
    def score_batch(self, posts: Sequence[PostToScore]) -> BatchResult:
        return self.score_batches([posts])[0]

    def score_batches(
        self, batches: Sequence[Sequence[PostToScore]], guard: SpendGuard | None = None
    ) -> list[BatchResult]:
        """One result per batch, in order; all batches' requests share the concurrency limit."""
        seen: set[str] = set()
        for batch in batches:
            ids = [p.post_id for p in batch]
            if len(set(ids)) != len(ids) or seen.intersection(ids):
                raise ValueError("score_batches got the same post id more than once")
            seen.update(ids)
        return _run_coroutine(self._score_all([list(b) for b in batches], guard))

    async def _score_all(
        self, batches: list[list[PostToScore]], guard: SpendGuard | None
    ) -> list[BatchResult]:
        client = openai.AsyncOpenAI(
            base_url=self._base_url, api_key=self._api_key, max_retries=0, timeout=self.timeout
        )
        run = _Run(client, asyncio.Semaphore(self.concurrency), guard)
        try:
            results = await asyncio.gather(*(self._score_one(run, b) for b in batches))
        finally:
            await client.close()
            self.max_in_flight = run.max_in_flight
        if run.exhausted and not run.answered:
            raise LlmUnavailable(
                f"no request to {self._base_url} got through after "
                f"{self.backoff.max_attempts} attempts each; see the log"
            )
        return list(results)

    async def _score_one(self, run: _Run, posts: list[PostToScore]) -> BatchResult:
        result = BatchResult()
        to_send = []
        for post in posts:
            if post.tickers:
                to_send.append(post)
            else:
                result.unscored[post.post_id] = "no tickers to score"
        suspicious = [p for p in to_send if self.isolate_suspicious and _suspicious(p)]
        rest = [p for p in to_send if p not in suspicious]
        groups = [[p] for p in suspicious] + ([rest] if rest else [])
        history: dict[str, list[str]] = {}
        while groups:
            outcomes = await asyncio.gather(*(self._ask(run, g, result) for g in groups))
            next_groups: list[list[PostToScore]] = []
            for group, outcome in zip(groups, outcomes, strict=True):
                note = "" if not any(p.post_id in history for p in group) else _size_note(group)
                if outcome.over_budget:
                    result.over_budget.extend(p.post_id for p in group)
                    continue
                if outcome.transport_error is not None:
                    for post in group:
                        past = history.get(post.post_id, [])
                        result.unscored[post.post_id] = "; ".join(
                            [*past, f"{note}{outcome.transport_error}"]
                        )
                    continue
                result.scores.extend(outcome.scores)
                failed = []
                for post in group:
                    problem = outcome.problems.get(post.post_id)
                    if problem is None:
                        continue
                    past = history.setdefault(post.post_id, [])
                    past.append(f"{note}{problem}")
                    if len(group) == 1 and len(past) >= 2:
                        result.unscored[post.post_id] = "; ".join(past)
                    else:
                        failed.append(post)
                if failed:
                    log.info("re-asking %d of %d posts", len(failed), len(group))
                    size = max(1, math.ceil(len(group) / 2))
                    next_groups.extend(failed[i : i + size] for i in range(0, len(failed), size))
            groups = next_groups
        return result

    async def _ask(self, run: _Run, posts: list[PostToScore], result: BatchResult) -> _Outcome:
        """One request with its transport retries."""
        body = self.request_body(posts)
        est_in, est_out = estimate_prompt_tokens(body["messages"]), int(body["max_tokens"])
        status = "none"
        for attempt in range(1, self.backoff.max_attempts + 1):
            if attempt > 1:
                result.retries += 1
            delay: float | None = None
            async with run.slots:
                if run.guard is not None and not run.guard.reserve(est_in, est_out):
                    return _Outcome(over_budget=True)
                await self.limiter.acquire(est_in + est_out)
                run.in_flight += 1
                run.max_in_flight = max(run.max_in_flight, run.in_flight)
                started = time.monotonic()
                try:
                    raw = await run.client.chat.completions.with_raw_response.create(**body)
                except openai.APIStatusError as exc:
                    status, delay = self._on_status_error(exc, attempt, posts, result)
                except openai.APITimeoutError:
                    status = "timeout"
                except openai.APIConnectionError:
                    status = "connection"
                else:
                    self.limiter.update_from_headers(raw.headers)
                    run.answered += 1
                    return self._on_answer(
                        run,
                        raw.parse(),
                        posts,
                        result,
                        est_in,
                        est_out,
                        attempt,
                        time.monotonic() - started,
                    )
                finally:
                    run.in_flight -= 1
                result.calls += 1
                latency = time.monotonic() - started
                result.call_log.append(CallRecord(len(posts), 0, 0, status, attempt, latency))
                if status == "timeout":
                    # The provider may have processed (and billed) the input: count it spent.
                    self._settle(run, est_in, est_out, est_in, 0)
                else:
                    self._settle(run, est_in, est_out, 0, 0)
                if status in ("timeout", "connection"):
                    self.limiter.update_from_headers({})  # ends a rate-limit probe, if any
                if status == "400":
                    run.answered += 1
                    return _Outcome(problems={p.post_id: "request rejected (400)" for p in posts})
            if attempt < self.backoff.max_attempts:
                await asyncio.sleep(delay if delay is not None else self.backoff.delay(attempt))
        run.exhausted += 1
        error = f"endpoint failed after {self.backoff.max_attempts} attempts: {status}"
        log.warning("%s (%d posts)", error, len(posts))
        return _Outcome(transport_error=error)

    def _on_status_error(
        self,
        exc: openai.APIStatusError,
        attempt: int,
        posts: Sequence[PostToScore],
        result: BatchResult,
    ) -> tuple[str, float | None]:
        """(status label, wait before the next attempt or None for the backoff's own)."""
        code = exc.status_code
        headers = exc.response.headers
        if code == 429:
            result.rate_limited += 1
            pause = self.limiter.on_rate_limited(headers, retry_after_s(headers))
            return "429", (pause or self.backoff.delay(attempt))
        self.limiter.update_from_headers(headers)
        if code in (400, 413, 422):
            return "400", None  # about this request's content: smaller asks may pass
        if code >= 500 or code in (408, 409):
            hint = retry_after_s(headers)
            return str(code), (self.backoff.delay(attempt, hint) if hint is not None else None)
        raise exc  # 401, 403, 404...: configuration, which no retry fixes

    def _on_answer(
        self,
        run: _Run,
        completion: Any,
        posts: Sequence[PostToScore],
        result: BatchResult,
        est_in: int,
        est_out: int,
        attempt: int,
        latency: float,
    ) -> _Outcome:
        usage = completion.usage
        used_in = usage.prompt_tokens if usage is not None else 0
        used_out = usage.completion_tokens if usage is not None else 0
        result.calls += 1
        result.tokens_in += used_in
        result.tokens_out += used_out
        self._settle(run, est_in, est_out, used_in, used_out)
        if not completion.choices:
            scores: list[TickerScore] = []
            problems = {p.post_id: "response had no choices" for p in posts}
        elif completion.choices[0].message.refusal:
            scores, problems = [], {p.post_id: "model refused" for p in posts}
        else:
            choice = completion.choices[0]
            scores, problems = self.check_answer(
                posts, choice.message.content, choice.finish_reason
            )
        status = "invalid" if problems else "ok"
        result.call_log.append(CallRecord(len(posts), used_in, used_out, status, attempt, latency))
        return _Outcome(scores=scores, problems=problems)

    @staticmethod
    def _settle(run: _Run, est_in: int, est_out: int, used_in: int, used_out: int) -> None:
        if run.guard is not None:
            run.guard.settle(est_in, est_out, used_in, used_out)


def _suspicious(post: PostToScore) -> bool:
    return looks_like_injection(post.text)


def _size_note(group: Sequence[PostToScore]) -> str:
    return "re-asked alone: " if len(group) == 1 else f"re-asked in a batch of {len(group)}: "


def _run_coroutine(coro: Coroutine[Any, Any, T]) -> T:
    """asyncio.run, or on a worker thread when this thread already runs an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = asyncio.run(coro)
        except BaseException as exc:  # noqa: BLE001 - re-raised on the caller's thread
            box["error"] = exc

    worker = threading.Thread(target=target, name="llm-scorer")
    worker.start()
    worker.join()
    if "error" in box:
        raise box["error"]
    return box["value"]
