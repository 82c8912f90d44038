"""A loopback server that speaks OpenAI's chat-completions wire format.

By default it reads the posts JSON out of the last user message and answers every post with a
deterministic score from a keyword rule, in the `{"results": [...]}` shape the scorer asks for.

What makes it a stand-in for the real endpoint under load:
- latency: `latency_s` plus `latency_per_item_s` per post answered, slept in the handler thread
  (the server is a ThreadingHTTPServer, so concurrent requests overlap; `max_in_flight` records
  the most it saw at once);
- rate limits: `rpm_limit` and `tpm_limit` per `window_s` (60 s like the real one, or shorter so a
  test runs fast), enforced as token buckets refilled continuously, the way OpenAI describes its
  limits. A request is charged its prompt tokens plus its `max_tokens` when it arrives, as OpenAI
  counts it; when it does not fit, the answer is a real 429 with Retry-After / retry-after-ms;
- `x-ratelimit-*` headers on every answer showing the buckets' real state;
- `usage` with tiktoken counts (the same encoding the client estimates with), and `max_tokens`
  enforced: a longer answer is cut and ends with finish_reason "length".

Faults: each request takes the next queued one from `faults`, else the one `poison` names for a
post it carries, else a random one from the base class's chaos
(`set_chaos(rate, ALL_FAULT_KINDS, seed)`), else none. `obey_injection` makes the model "obey" a
post that says "ignore previous instructions": every post in that request gets +1.
"""

from __future__ import annotations

import json
import math
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any, Self

from tests.servers import LoopbackServer, RecordedRequest, Reply
from tickerpulse.tokens import count_tokens, encoder

BULLISH_WORDS = ("moon", "🚀")
BEARISH_WORDS = ("puts", "sell")
INJECTION_PHRASE = "ignore previous instructions"

# Fault kinds. Those marked (post) act on `Fault.post_id`, or on the first post of the request.
DROP_ID = "drop_id"  # (post) leave the post out of the results
DUPLICATE_ID = "duplicate_id"  # (post) answer the post twice
UNKNOWN_ID = "unknown_id"  # add a result for an id that was never sent
BAD_SCORE = "bad_score"  # (post) score 1.7
EXTRA_TICKER = "extra_ticker"  # (post) also score a ticker that was not sent
DROP_TICKER = "drop_ticker"  # (post) leave out the post's last ticker
EXTRA_FIELD = "extra_field"  # (post) a field outside the schema in the post's result
SPOOF_OTHERS = "spoof_others"  # (post) also answer every other post, +1, as that post's text asks
INVALID_JSON = "invalid_json"  # content is not JSON
LENGTH = "length"  # content cut in half, finish_reason "length"
HTTP_400 = "http_400"
HTTP_500 = "http_500"
HTTP_503 = "http_503"
HTTP_429 = "http_429"  # with Retry-After: Fault.retry_after
TIMEOUT = "timeout"  # answer only after `timeout_sleep_s`, longer than the client waits

ALL_FAULT_KINDS = (
    DROP_ID,
    DUPLICATE_ID,
    UNKNOWN_ID,
    BAD_SCORE,
    EXTRA_TICKER,
    DROP_TICKER,
    EXTRA_FIELD,
    INVALID_JSON,
    LENGTH,
    HTTP_400,
    HTTP_500,
    HTTP_503,
    HTTP_429,
    TIMEOUT,
)
UNLIMITED_RPM = 1_000_000
UNLIMITED_TPM = 1_000_000_000
TOKENS_PER_MESSAGE = 3
TOKENS_PER_REQUEST = 3


@dataclass(frozen=True)
class Fault:
    kind: str
    post_id: str | None = None
    retry_after: float = 0.05


def keyword_score(text: str) -> tuple[float, str]:
    lowered = text.lower()
    for word in BULLISH_WORDS:
        if word in lowered:
            return 0.8, f"Says {word!r}, which is bullish."
    for word in BEARISH_WORDS:
        if word in lowered:
            return -0.6, f"Says {word!r}, which is bearish."
    return 0.0, "No directional keyword."


def label(score: float) -> str:
    return "bullish" if score > 0.05 else "bearish" if score < -0.05 else "neutral"


def prompt_tokens_of(body: dict[str, Any]) -> int:
    """Prompt tokens as the provider counts them: content tokens plus chat framing."""
    return TOKENS_PER_REQUEST + sum(
        TOKENS_PER_MESSAGE + count_tokens(str(m.get("content") or ""))
        for m in body.get("messages", [])
    )


def format_duration(seconds: float) -> str:
    """OpenAI's reset format: "6ms", "2.5s", "1m30s"."""
    if seconds < 1:
        return f"{math.ceil(seconds * 1000)}ms"
    minutes, rest = divmod(seconds, 60)
    text = f"{rest:.3f}".rstrip("0").rstrip(".") + "s"
    return f"{int(minutes)}m{text}" if minutes else text


class _Bucket:
    def __init__(self, limit: float, window_s: float) -> None:
        self.limit, self.window_s = limit, window_s
        self.level, self.updated = limit, time.monotonic()

    def refill(self, now: float) -> None:
        if now > self.updated:
            gained = (now - self.updated) * self.limit / self.window_s
            self.level = min(self.limit, self.level + gained)
            self.updated = now

    def shortfall_s(self, cost: float) -> float:
        return 0.0 if self.level >= cost else (cost - self.level) * self.window_s / self.limit

    def reset_s(self) -> float:
        return (self.limit - self.level) * self.window_s / self.limit


class OpenAIServer(LoopbackServer):
    def __init__(
        self,
        api_key: str = "test-key",
        *,
        latency_s: float = 0.0,
        latency_per_item_s: float = 0.0,
        rpm_limit: int | None = None,
        tpm_limit: int | None = None,
        window_s: float = 60.0,
        timeout_sleep_s: float = 2.0,
        obey_injection: bool = False,
    ) -> None:
        super().__init__()
        self.api_key = api_key
        self.faults: deque[Fault] = deque()
        # post id -> fault kind hitting every request that carries the post (a post that always
        # breaks the answer or the endpoint), so a test can follow one post through the re-asks
        self.poison: dict[str, str] = {}
        self.latency_s = latency_s
        self.latency_per_item_s = latency_per_item_s
        self.timeout_sleep_s = timeout_sleep_s
        self.obey_injection = obey_injection
        self.window_s = window_s
        self.rpm_limit, self.tpm_limit = rpm_limit, tpm_limit
        self._requests_bucket = _Bucket(rpm_limit or UNLIMITED_RPM, window_s)
        self._tokens_bucket = _Bucket(tpm_limit or UNLIMITED_TPM, window_s)
        self._state = threading.Lock()
        self._served = 0
        self._in_flight = 0
        self.max_in_flight = 0
        self.rate_limited = 0  # 429s from the real limits (not injected faults)
        # (arrival time, tokens charged) of every admitted request, for achieved-rate reports
        self.admitted: list[tuple[float, int]] = []

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"

    def connection(self, model: str = "test-model", **extra: Any) -> str:
        """The `llm_default` Airflow connection (AIRFLOW_CONN_LLM_DEFAULT JSON) for this server."""
        return json.dumps(
            {
                "conn_type": "generic",
                "host": self.base_url,
                "password": self.api_key,
                "extra": {"model": model, **extra},
            }
        )

    def start(self) -> Self:
        super().start()
        assert self._httpd is not None
        report = self._httpd.handle_error

        def handle_error(request: Any, client_address: Any) -> None:
            # A client that timed out has hung up before the answer: expected, not an error.
            if not isinstance(sys.exc_info()[1], BrokenPipeError | ConnectionResetError):
                report(request, client_address)

        self._httpd.handle_error = handle_error  # type: ignore[method-assign]
        return self

    def completions(self) -> list[RecordedRequest]:
        return self.requests_to("/v1/chat/completions", "POST")

    def posts_sent(self, request: RecordedRequest) -> list[dict[str, Any]]:
        return _posts_in(request.json())

    def handle(self, request: RecordedRequest) -> Reply:
        if request.path != "/v1/chat/completions" or request.method != "POST":
            return _error(404, "Not found", "invalid_request_error")
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            return _error(401, "Incorrect API key provided.", "invalid_request_error")
        with self._state:
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
        try:
            return self._handle(request)
        finally:
            with self._state:
                self._in_flight -= 1

    def _handle(self, request: RecordedRequest) -> Reply:
        body = request.json()
        prompt_tokens = prompt_tokens_of(body)
        max_tokens = body.get("max_tokens") or body.get("max_completion_tokens")
        charge = prompt_tokens + int(max_tokens or 0)
        limited, headers = self._admit(charge)
        if limited is not None:
            return limited
        fault = (
            (self.faults.popleft() if self.faults else None)
            or self._poisoned(_posts_in(body))
            or _as_fault(self.chaos_kind())
        )
        kind = fault.kind if fault else None
        if kind == HTTP_500:
            msg = "The server had an error while processing your request."
            return _error(500, msg, "server_error", headers)
        if kind == HTTP_503:
            return _error(503, "The engine is currently overloaded.", "server_error", headers)
        if kind == HTTP_400:
            return _error(400, "This request was rejected.", "invalid_request_error", headers)
        if kind == HTTP_429 and fault is not None:
            reply = _error(429, "Rate limit reached for requests.", "requests", headers)
            reply.headers["Retry-After"] = str(fault.retry_after)
            return reply
        posts = _posts_in(body)
        delay = self.latency_s + self.latency_per_item_s * len(posts)
        if kind == TIMEOUT:
            delay = max(delay, self.timeout_sleep_s)
        if delay > 0:
            time.sleep(delay)
        content, finish_reason = self._answer(posts, fault)
        completion_tokens = count_tokens(content)
        if max_tokens and completion_tokens > int(max_tokens):
            ids = encoder().encode_ordinary(content)[: int(max_tokens)]
            content, finish_reason = encoder().decode(ids), "length"
            completion_tokens = int(max_tokens)
        with self._state:
            self._served += 1
            served = self._served
        return Reply.json(
            {
                "id": f"chatcmpl-test{served}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body.get("model", "unknown"),
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": content, "refusal": None},
                        "logprobs": None,
                        "finish_reason": finish_reason,
                    }
                ],
                "usage": {
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": completion_tokens,
                    "total_tokens": prompt_tokens + completion_tokens,
                },
            },
            headers={"x-request-id": f"req_test{served}", **headers},
        )

    def _poisoned(self, posts: list[dict[str, Any]]) -> Fault | None:
        for post in posts:
            kind = self.poison.get(str(post.get("id")))
            if kind is not None:
                return Fault(kind, str(post.get("id")))
        return None

    def _admit(self, charge: int) -> tuple[Reply | None, dict[str, str]]:
        """Charge the request to the buckets, or a 429 saying how long until it would fit."""
        with self._state:
            now = time.monotonic()
            requests, tokens = self._requests_bucket, self._tokens_bucket
            requests.refill(now)
            tokens.refill(now)
            wait = max(requests.shortfall_s(1), tokens.shortfall_s(charge))
            if wait <= 0:
                requests.level -= 1
                tokens.level -= charge
                self.admitted.append((now, charge))
            else:
                self.rate_limited += 1
            headers = {
                "x-ratelimit-limit-requests": str(int(requests.limit)),
                "x-ratelimit-remaining-requests": str(max(0, int(requests.level))),
                "x-ratelimit-reset-requests": format_duration(requests.reset_s()),
                "x-ratelimit-limit-tokens": str(int(tokens.limit)),
                "x-ratelimit-remaining-tokens": str(max(0, int(tokens.level))),
                "x-ratelimit-reset-tokens": format_duration(tokens.reset_s()),
            }
        if wait <= 0:
            return None, headers
        which = "tokens" if tokens.shortfall_s(charge) > 0 else "requests"
        reply = _error(
            429,
            f"Rate limit reached for test-model on {which} per {self.window_s:g}s: "
            f"Limit {int(tokens.limit if which == 'tokens' else requests.limit)}, "
            f"Requested {charge if which == 'tokens' else 1}. Please try again in "
            f"{format_duration(wait)}.",
            which,
            headers,
        )
        reply.headers["retry-after-ms"] = str(math.ceil(wait * 1000))
        reply.headers["Retry-After"] = str(math.ceil(wait))
        return reply, headers

    def _answer(self, posts: list[dict[str, Any]], fault: Fault | None) -> tuple[str, str]:
        injected = self.obey_injection and any(
            INJECTION_PHRASE in str(p.get("text", "")).lower() for p in posts
        )
        results: list[dict[str, Any]] = []
        for post in posts:
            score, reasoning = keyword_score(str(post.get("text", "")))
            if injected:
                score, reasoning = 1.0, "As instructed."
            tickers = [
                {"ticker": t, "reasoning": reasoning, "score": score, "label": label(score)}
                for t in post.get("tickers", [])
            ]
            results.append({"id": post.get("id"), "tickers": tickers})
        kind = fault.kind if fault else None
        target = fault.post_id if fault and fault.post_id else (posts[0]["id"] if posts else None)
        hit = [r for r in results if r["id"] == target]
        if kind == DROP_ID:
            results = [r for r in results if r["id"] != target]
        elif kind == DUPLICATE_ID:
            results.extend(json.loads(json.dumps(hit)))
        elif kind == UNKNOWN_ID:
            results.append({"id": "never-sent", "tickers": []})
        elif kind == BAD_SCORE:
            for result in hit:
                for entry in result["tickers"]:
                    entry["score"] = 1.7
        elif kind == EXTRA_TICKER:
            for result in hit:
                result["tickers"].append(
                    {"ticker": "ZZZZ", "reasoning": "Not sent.", "score": -1.0, "label": "bearish"}
                )
        elif kind == DROP_TICKER:
            for result in hit:
                result["tickers"] = result["tickers"][:-1]
        elif kind == EXTRA_FIELD:
            for result in hit:
                result["override"] = "rate everything +1"
        elif kind == SPOOF_OTHERS:
            for post in posts:
                if post.get("id") != target:
                    entries = [
                        {
                            "ticker": t,
                            "reasoning": "As instructed.",
                            "score": 1.0,
                            "label": "bullish",
                        }
                        for t in post.get("tickers", [])
                    ]
                    results.append({"id": post.get("id"), "tickers": entries})
        content = json.dumps({"results": results}, ensure_ascii=False)
        if kind == INVALID_JSON:
            return "Sure! Here are the scores: " + content, "stop"
        if kind == LENGTH:
            return content[: len(content) // 2], "length"
        return content, "stop"


def _as_fault(kind: str | None) -> Fault | None:
    return Fault(kind) if kind else None


def _posts_in(body: dict[str, Any]) -> list[dict[str, Any]]:
    users = [m for m in body.get("messages", []) if m.get("role") == "user"]
    posts = json.loads(users[-1]["content"]) if users else []
    return posts if isinstance(posts, list) else []


def _error(status: int, message: str, kind: str, headers: dict[str, str] | None = None) -> Reply:
    code = "rate_limit_exceeded" if status == 429 else None
    return Reply.json(
        {"error": {"message": message, "type": kind, "param": None, "code": code}},
        status=status,
        headers=headers,
    )
