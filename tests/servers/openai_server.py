"""A loopback server that speaks OpenAI's chat-completions wire format.

By default it reads the posts JSON out of the last user message and answers every post with a
deterministic score from a keyword rule, in the `{"results": [...]}` shape the scorer asks for.
Faults are queued in `faults`: each request takes the next one, so a test can break the first
answer and let the re-ask succeed, or break both.
"""

from __future__ import annotations

import json
import math
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from tests.servers import LoopbackServer, RecordedRequest, Reply

BULLISH_WORDS = ("moon", "🚀")
BEARISH_WORDS = ("puts", "sell")

# Fault kinds. Those marked (post) act on `Fault.post_id`, or on the first post of the request.
DROP_ID = "drop_id"  # (post) leave the post out of the results
DUPLICATE_ID = "duplicate_id"  # (post) answer the post twice
UNKNOWN_ID = "unknown_id"  # add a result for an id that was never sent
BAD_SCORE = "bad_score"  # (post) score 1.7
EXTRA_TICKER = "extra_ticker"  # (post) also score a ticker that was not sent
DROP_TICKER = "drop_ticker"  # (post) leave out the post's last ticker
INVALID_JSON = "invalid_json"  # content is not JSON
LENGTH = "length"  # content cut in half, finish_reason "length"
HTTP_400 = "http_400"
HTTP_500 = "http_500"
HTTP_429 = "http_429"  # with Retry-After: Fault.retry_after


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


class OpenAIServer(LoopbackServer):
    def __init__(self, api_key: str = "test-key") -> None:
        super().__init__()
        self.api_key = api_key
        self.faults: deque[Fault] = deque()
        self._served = 0

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"

    def completions(self) -> list[RecordedRequest]:
        return self.requests_to("/v1/chat/completions", "POST")

    def posts_sent(self, request: RecordedRequest) -> list[dict[str, Any]]:
        return _posts_in(request.json())

    def handle(self, request: RecordedRequest) -> Reply:
        if request.path != "/v1/chat/completions" or request.method != "POST":
            return _error(404, "Not found", "invalid_request_error")
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            return _error(401, "Incorrect API key provided.", "invalid_request_error")
        fault = self.faults.popleft() if self.faults else None
        if fault is not None and fault.kind == HTTP_500:
            return _error(
                500, "The server had an error while processing your request.", "server_error"
            )
        if fault is not None and fault.kind == HTTP_400:
            return _error(400, "This request was rejected.", "invalid_request_error")
        if fault is not None and fault.kind == HTTP_429:
            reply = _error(429, "Rate limit reached for requests.", "requests")
            reply.headers["Retry-After"] = str(fault.retry_after)
            return reply
        body = request.json()
        content, finish_reason = self._answer(_posts_in(body), fault)
        self._served += 1
        prompt_chars = sum(len(str(m.get("content", ""))) for m in body.get("messages", []))
        prompt_tokens, completion_tokens = math.ceil(prompt_chars / 4), math.ceil(len(content) / 4)
        return Reply.json(
            {
                "id": f"chatcmpl-test{self._served}",
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
            headers={
                "x-request-id": f"req_test{self._served}",
                "x-ratelimit-limit-requests": "500",
                "x-ratelimit-remaining-requests": str(max(0, 500 - self._served)),
                "x-ratelimit-reset-requests": "120ms",
                "x-ratelimit-limit-tokens": "200000",
                "x-ratelimit-remaining-tokens": str(max(0, 200000 - prompt_tokens)),
                "x-ratelimit-reset-tokens": "6ms",
            },
        )

    def _answer(self, posts: list[dict[str, Any]], fault: Fault | None) -> tuple[str, str]:
        results: list[dict[str, Any]] = []
        for post in posts:
            score, reasoning = keyword_score(str(post.get("text", "")))
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
        content = json.dumps({"results": results}, ensure_ascii=False)
        if kind == INVALID_JSON:
            return "Sure! Here are the scores: " + content, "stop"
        if kind == LENGTH:
            return content[: len(content) // 2], "length"
        return content, "stop"


def _posts_in(body: dict[str, Any]) -> list[dict[str, Any]]:
    users = [m for m in body.get("messages", []) if m.get("role") == "user"]
    posts = json.loads(users[-1]["content"]) if users else []
    return posts if isinstance(posts, list) else []


def _error(status: int, message: str, kind: str) -> Reply:
    return Reply.json(
        {"error": {"message": message, "type": kind, "param": None, "code": None}}, status=status
    )
