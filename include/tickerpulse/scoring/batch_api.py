"""OpenAI Batch API: the same chat-completions requests as the online path, at half price.

A batch is one JSONL file of requests, each tagged with a `custom_id`, answered within 24 hours
in an output file whose lines come back in no particular order. So every request here gets a
`custom_id` that names its position and fingerprints the post ids it carries, and the answers are
matched back by that id alone, never by line order. Each answer is checked by the online scorer's
own `check_answer`, so a batch answer is accepted or refused exactly as the online one would be.

This module knows nothing about Airflow, the lake or the cache: it builds the file, submits it,
and turns the output into (post, scores, tokens) answers plus a reason for every post that has
none. The prefill stage (`tickerpulse.stages.prefill`) wires it to the rest.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from tickerpulse.batching import pack_batches
from tickerpulse.scoring.base import PostToScore, TickerScore

if TYPE_CHECKING:
    import openai

log = logging.getLogger(__name__)

ENDPOINT: Final = "/v1/chat/completions"
COMPLETION_WINDOW: Final = "24h"
TERMINAL = frozenset({"completed", "failed", "expired", "cancelled"})
BATCH_DISCOUNT = 0.5  # the Batch API's price relative to the online one

CheckAnswer = Callable[
    [Sequence[PostToScore], str | None, str | None], tuple[list[TickerScore], dict[str, str]]
]
RequestBody = Callable[[Sequence[PostToScore]], dict[str, Any]]


class BatchNotCompleted(RuntimeError):
    """The batch ended failed, expired or cancelled: nothing of it is used."""


@dataclass(frozen=True)
class BatchRequest:
    custom_id: str
    posts: tuple[PostToScore, ...]


@dataclass
class Collected:
    """What a finished batch gave: answers to cache, and a reason for every post without one."""

    answers: list[tuple[PostToScore, list[TickerScore], int, int]] = field(default_factory=list)
    problems: dict[str, str] = field(default_factory=dict)  # post_id -> why it has no answer
    failed_requests: int = 0  # lines in the error file, or answered with a non-200 status
    missing_requests: int = 0  # requests in neither file
    unknown_lines: int = 0  # lines whose custom_id was never sent, or sent once and seen twice
    tokens_in: int = 0
    tokens_out: int = 0


def custom_id(number: int, posts: Sequence[PostToScore]) -> str:
    """`req-000042-<12 hex>`: the request's number plus a fingerprint of its post ids, so a line
    matched against the wrong manifest (another plan of the same range) is refused, not misread."""
    digest = hashlib.sha256("\n".join(p.post_id for p in posts).encode("utf-8")).hexdigest()
    return f"req-{number:06d}-{digest[:12]}"


def plan_requests(
    posts: Sequence[tuple[PostToScore, int]],
    budget_tokens: int,
    max_items: int,
    per_item_overhead: int,
    alone: Callable[[PostToScore], bool] = lambda post: False,
) -> list[BatchRequest]:
    """Pack (post, input tokens) under the same budget and item cap as the online planner.

    A post for which `alone` is true (the online scorer's prompt-injection suspects) gets a
    request of its own, as online, so its text cannot sway the answers of the posts beside it.
    """
    by_id = {post.post_id: post for post, _ in posts}
    groups = [[post.post_id] for post, _ in posts if alone(post)]
    isolated = {pid for (pid,) in groups}
    batches = pack_batches(
        [(post.post_id, tokens) for post, tokens in posts if post.post_id not in isolated],
        budget_tokens=budget_tokens,
        max_items=max_items,
        per_item_overhead=per_item_overhead,
    )
    groups += [batch.post_ids for batch in batches]
    requests = []
    for number, ids in enumerate(groups):
        members = tuple(by_id[pid] for pid in ids)
        requests.append(BatchRequest(custom_id(number, members), members))
    return requests


def input_jsonl(requests: Iterable[BatchRequest], request_body: RequestBody) -> bytes:
    """The batch input file: one `{"custom_id", "method", "url", "body"}` line per request."""
    lines = []
    for request in requests:
        line = {
            "custom_id": request.custom_id,
            "method": "POST",
            "url": ENDPOINT,
            "body": request_body(request.posts),
        }
        lines.append(json.dumps(line, ensure_ascii=False, separators=(",", ":")))
    return ("\n".join(lines) + "\n").encode("utf-8") if lines else b""


def client_from_connection(conn: Mapping[str, Any]) -> openai.OpenAI:
    """The same endpoint and key as the online scorer (connection host = base URL)."""
    import openai  # here, not at the top: the DAG file imports this module at parse time

    extra = conn.get("extra") or {}
    return openai.OpenAI(
        base_url=conn["host"],
        api_key=conn.get("password") or "",
        max_retries=int(extra.get("max_retries", 2)),
        timeout=float(extra.get("timeout", 60.0)),
    )


def submit(client: openai.OpenAI, jsonl: bytes, metadata: dict[str, str]) -> str:
    """Upload the input file and create the batch; return the batch id."""
    upload = client.files.create(
        file=("tickerpulse-prefill.jsonl", jsonl, "application/jsonl"), purpose="batch"
    )
    batch = client.batches.create(
        input_file_id=upload.id,
        endpoint=ENDPOINT,
        completion_window=COMPLETION_WINDOW,
        metadata=metadata,
    )
    log.info("submitted batch %s (input file %s, %d bytes)", batch.id, upload.id, len(jsonl))
    return batch.id


def describe(batch: Any) -> str:
    """One line for logs and errors: status, request counts, and the service's own errors."""
    counts = batch.request_counts
    done = (
        f"{counts.completed}/{counts.total} done, {counts.failed} failed" if counts else "no counts"
    )
    errors = [
        f"{e.code}: {e.message}" + (f" (line {e.line})" if e.line else "")
        for e in ((batch.errors.data or []) if batch.errors else [])
    ]
    return f"batch {batch.id} is {batch.status} ({done})" + (
        f"; errors: {'; '.join(errors)}" if errors else ""
    )


def collect(
    client: openai.OpenAI,
    batch_id: str,
    requests: Mapping[str, Sequence[PostToScore]],
    check_answer: CheckAnswer,
) -> tuple[Collected, bytes, bytes]:
    """Answers of a completed batch, plus the raw output and error files (kept for audit).

    A batch that ended in any other state raises BatchNotCompleted: an expired batch's partial
    output is not used, so a backfill either rests on a whole batch or on none of it.
    """
    batch = client.batches.retrieve(batch_id)
    if batch.status != "completed":
        raise BatchNotCompleted(
            describe(batch) + ": nothing from it is cached; run the prefill again, or backfill "
            "with scorer=llm and let the online path score these posts"
        )
    output = client.files.content(batch.output_file_id).content if batch.output_file_id else b""
    errors = client.files.content(batch.error_file_id).content if batch.error_file_id else b""
    collected = match_results(requests, parse_jsonl(output), parse_jsonl(errors), check_answer)
    return collected, output, errors


def parse_jsonl(data: bytes) -> list[dict[str, Any]]:
    lines = []
    for number, line in enumerate(data.decode("utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError:
            log.warning("batch result line %d is not JSON; ignored", number)
            continue
        if isinstance(item, dict):
            lines.append(item)
    return lines


def match_results(
    requests: Mapping[str, Sequence[PostToScore]],
    output_lines: Sequence[dict[str, Any]],
    error_lines: Sequence[dict[str, Any]],
    check_answer: CheckAnswer,
) -> Collected:
    """Match lines to requests by custom_id; validate each answer like the online path does.

    Tokens are split across a request's posts as the score stage splits them (integer share per
    post), so a row later rebuilt from the cache carries the same token counts either way.
    """
    out = Collected()
    seen: set[str] = set()
    for line in [*output_lines, *error_lines]:
        cid = line.get("custom_id")
        if not isinstance(cid, str) or cid not in requests or cid in seen:
            log.warning("batch line with unknown or repeated custom_id %r ignored", cid)
            out.unknown_lines += 1
            continue
        seen.add(cid)
        posts = requests[cid]
        body, problem = _completion(line)
        if body is None:
            out.failed_requests += 1
            out.problems.update(dict.fromkeys((p.post_id for p in posts), problem))
            continue
        usage = body.get("usage") or {}
        tokens_in, tokens_out = (
            int(usage.get("prompt_tokens", 0)),
            int(usage.get("completion_tokens", 0)),
        )
        out.tokens_in += tokens_in
        out.tokens_out += tokens_out
        content, finish_reason, refused = _message(body)
        if refused:
            out.problems.update(dict.fromkeys((p.post_id for p in posts), "model refused"))
            continue
        scores, problems = check_answer(posts, content, finish_reason)
        out.problems.update(problems)
        by_post: dict[str, list[TickerScore]] = {}
        for score in scores:
            by_post.setdefault(score.post_id, []).append(score)
        share = max(1, len(posts))
        for post in posts:
            if post.post_id in problems:
                continue
            if post.post_id not in by_post:
                out.problems[post.post_id] = "no score in the batch answer"
                continue
            out.answers.append(
                (post, by_post[post.post_id], tokens_in // share, tokens_out // share)
            )
    for cid, posts in requests.items():
        if cid not in seen:
            out.missing_requests += 1
            out.problems.update(
                dict.fromkeys((p.post_id for p in posts), "request missing from the batch files")
            )
    return out


def _completion(line: dict[str, Any]) -> tuple[dict[str, Any] | None, str]:
    """The chat.completion body of a line, or None and why the request failed."""
    error = line.get("error")
    if error:
        code = error.get("code") if isinstance(error, dict) else None
        return None, f"batch request failed ({code or 'error'})"
    response = line.get("response")
    if not isinstance(response, dict):
        return None, "batch line has no response"
    status = response.get("status_code")
    body = response.get("body")
    if status != 200 or not isinstance(body, dict):
        return None, f"batch request answered {status}"
    return body, ""


def _message(body: dict[str, Any]) -> tuple[str | None, str | None, bool]:
    choices = body.get("choices") or []
    if not choices or not isinstance(choices[0], dict):
        return None, None, False
    choice = choices[0]
    message = choice.get("message") or {}
    return message.get("content"), choice.get("finish_reason"), bool(message.get("refusal"))
