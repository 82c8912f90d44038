"""The chat-completions test server plus OpenAI's Files and Batches wire protocol.

What the openai client's `files.create(purpose="batch")`, `batches.create`, `batches.retrieve`
and `files.content` send and expect:

* `POST /v1/files` (multipart: `purpose`, `file`) -> a file object;
* `POST /v1/batches` (`input_file_id`, `endpoint`, `completion_window`) -> a batch object, status
  `validating`; the input is checked line by line as the real service does (JSON, unique
  `custom_id`, `method` POST, `url` equal to the endpoint), and a bad input fails the batch
  (status `failed`, with `errors` naming the lines);
* `GET /v1/batches/{id}` -> the batch; the first poll answers `validating` (the input is checked
  then), the next `in_progress_polls` answer `in_progress`, the one after `completed`;
* `GET /v1/files/{id}/content` -> the output (or error) JSONL.

Each input line is answered by the parent server's own chat-completions logic (its keyword rule,
its queued `faults`, its usage counting), so a batch answer is exactly what the online path would
have got for the same request body. Output lines come back shuffled (seeded), because the real
service does not keep input order either: callers must match by `custom_id`.

Injectable: `failed_lines` (custom ids answered in the error file instead), `outcome` ("expired"
or "failed" instead of "completed").
"""

from __future__ import annotations

import json
import random
import threading
import time
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

from tests.servers import RecordedRequest, Reply
from tests.servers.openai_server import OpenAIServer, _error

COMPLETED = "completed"
EXPIRED = "expired"
FAILED = "failed"


class OpenAIBatchServer(OpenAIServer):
    def __init__(self, api_key: str = "test-key", seed: int = 0, **chat_options: Any) -> None:
        """`chat_options` go to OpenAIServer (e.g. obey_injection); its latency, if any, is
        spent inside the poll that completes the batch."""
        super().__init__(api_key=api_key, **chat_options)
        self.files: dict[str, dict[str, Any]] = {}  # id -> file object + "content"
        self.batches: dict[str, dict[str, Any]] = {}  # id -> batch object + "_polls"
        self.in_progress_polls = 1
        self.outcome = COMPLETED
        self.failed_lines: set[str] = set()
        self.shuffle = True
        self._rng = random.Random(seed)
        self._ids = 0
        # Not the base class's lock: the parent's chat logic may take that one per line.
        self._batch_lock = threading.RLock()

    # -- what tests look at --------------------------------------------------------------------
    def batch_creates(self) -> list[RecordedRequest]:
        return self.requests_to("/v1/batches", "POST")

    def batch_polls(self) -> list[RecordedRequest]:
        return [r for r in self.requests_to("/v1/batches/", "GET")]

    def input_lines(self, batch_id: str) -> list[dict[str, Any]]:
        batch = self.batches[batch_id]
        return _jsonl(self.files[batch["input_file_id"]]["content"])

    def output_lines(self, batch_id: str) -> list[dict[str, Any]]:
        file_id = self.batches[batch_id].get("output_file_id")
        return _jsonl(self.files[file_id]["content"]) if file_id else []

    # -- routing -------------------------------------------------------------------------------
    def handle(self, request: RecordedRequest) -> Reply:
        path, method = request.path, request.method
        if not (path.startswith("/v1/files") or path.startswith("/v1/batches")):
            return super().handle(request)
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            return _error(401, "Incorrect API key provided.", "invalid_request_error")
        parts = path.strip("/").split("/")  # v1, files|batches, [id], [content]
        with self._batch_lock:
            if parts[1] == "files" and method == "POST" and len(parts) == 2:
                return self._upload(request)
            if parts[1] == "files" and method == "GET" and len(parts) == 4:
                return self._content(parts[2])
            if parts[1] == "batches" and method == "POST" and len(parts) == 2:
                return self._create_batch(request.json())
            if parts[1] == "batches" and method == "GET" and len(parts) == 3:
                return self._poll(parts[2])
        return _error(404, f"Invalid URL ({method} {path})", "invalid_request_error")

    # -- files ---------------------------------------------------------------------------------
    def _new_id(self, prefix: str) -> str:
        self._ids += 1
        return f"{prefix}-test{self._ids:04d}"

    def _store_file(self, content: bytes, filename: str, purpose: str) -> dict[str, Any]:
        file_id = self._new_id("file")
        file: dict[str, Any] = {
            "id": file_id,
            "object": "file",
            "bytes": len(content),
            "created_at": int(time.time()),
            "filename": filename,
            "purpose": purpose,
            "status": "processed",
        }
        self.files[file_id] = {**file, "content": content}
        return file

    def _upload(self, request: RecordedRequest) -> Reply:
        ctype = request.headers.get("content-type", "")
        if not ctype.startswith("multipart/form-data"):
            return _error(400, "Expected multipart/form-data.", "invalid_request_error")
        message = BytesParser(policy=HTTP).parsebytes(
            f"Content-Type: {ctype}\r\n\r\n".encode() + request.body
        )
        fields: dict[str, tuple[str | None, bytes]] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True)
            fields[str(name)] = (
                part.get_filename(),
                payload if isinstance(payload, bytes) else b"",
            )
        purpose = fields.get("purpose", (None, b""))[1].decode()
        if "file" not in fields or purpose != "batch":
            return _error(400, "A file and purpose=batch are required.", "invalid_request_error")
        filename, content = fields["file"]
        return Reply.json(self._store_file(content, filename or "upload.jsonl", purpose))

    def _content(self, file_id: str) -> Reply:
        file = self.files.get(file_id)
        if file is None:
            return _error(404, f"No such File object: {file_id}", "invalid_request_error")
        return Reply(200, file["content"], {"Content-Type": "application/octet-stream"})

    # -- batches -------------------------------------------------------------------------------
    def _create_batch(self, body: dict[str, Any]) -> Reply:
        file = self.files.get(str(body.get("input_file_id")))
        if file is None:
            return _error(400, "input_file_id does not exist.", "invalid_request_error")
        if body.get("completion_window") != "24h":
            return _error(400, "completion_window must be 24h.", "invalid_request_error")
        now = int(time.time())
        batch = {
            "id": self._new_id("batch"),
            "object": "batch",
            "endpoint": body.get("endpoint"),
            "errors": None,
            "input_file_id": file["id"],
            "completion_window": "24h",
            "status": "validating",
            "output_file_id": None,
            "error_file_id": None,
            "created_at": now,
            "in_progress_at": None,
            "expires_at": now + 86400,
            "finalizing_at": None,
            "completed_at": None,
            "failed_at": None,
            "expired_at": None,
            "cancelling_at": None,
            "cancelled_at": None,
            "request_counts": {"total": 0, "completed": 0, "failed": 0},
            "metadata": body.get("metadata"),
            "_polls": 0,
        }
        self.batches[batch["id"]] = batch
        return Reply.json(_public(batch))

    def _poll(self, batch_id: str) -> Reply:
        batch = self.batches.get(batch_id)
        if batch is None:
            return _error(404, f"No such Batch object: {batch_id}", "invalid_request_error")
        batch["_polls"] += 1
        polls = batch["_polls"]  # 1: validating (checked now), then in_progress, then done
        if batch["status"] == "validating" and polls == 1:
            self._validate(batch)
        elif batch["status"] == "validating":
            batch.update(status="in_progress", in_progress_at=int(time.time()))
        if batch["status"] == "in_progress" and polls >= 2 + self.in_progress_polls:
            self._finish(batch)
        return Reply.json(_public(batch))

    def _validate(self, batch: dict[str, Any]) -> None:
        errors: list[dict[str, Any]] = []
        seen: set[str] = set()
        lines = self.files[batch["input_file_id"]]["content"].decode("utf-8").splitlines()
        for number, line in enumerate(lines, start=1):
            try:
                item = json.loads(line)
            except json.JSONDecodeError:
                errors.append(_line_error("invalid_json_line", "Line is not JSON.", number))
                continue
            custom_id = item.get("custom_id")
            if not isinstance(custom_id, str) or custom_id in seen:
                errors.append(_line_error("duplicate_custom_id", "custom_id not unique.", number))
            seen.add(str(custom_id))
            if item.get("method") != "POST" or item.get("url") != batch["endpoint"]:
                errors.append(_line_error("invalid_url", "url must match endpoint.", number))
            if not isinstance(item.get("body"), dict):
                errors.append(_line_error("missing_body", "body is required.", number))
        now = int(time.time())
        batch["request_counts"]["total"] = len(lines)
        if errors or not lines or self.outcome == FAILED:
            errors = errors or [_line_error("empty_file", "The batch failed.", None)]
            batch.update(status=FAILED, failed_at=now, errors={"object": "list", "data": errors})

    def _finish(self, batch: dict[str, Any]) -> None:
        now = int(time.time())
        lines = _jsonl(self.files[batch["input_file_id"]]["content"])
        if self.outcome == EXPIRED:
            errors = [
                _error_line(
                    self._new_id("batch_req"),
                    item["custom_id"],
                    None,
                    {
                        "code": "batch_expired",
                        "message": "This request could not be executed before the "
                        "completion window expired.",
                    },
                )
                for item in lines
            ]
            batch["error_file_id"] = self._store_file(_dump(errors), "errors.jsonl", "batch")["id"]
            batch["request_counts"].update(failed=len(lines))
            batch.update(status=EXPIRED, expired_at=now)
            return
        output, errors = [], []
        for item in lines:
            req_id = self._new_id("batch_req")
            if item["custom_id"] in self.failed_lines:
                errors.append(
                    _error_line(
                        req_id,
                        item["custom_id"],
                        None,
                        {"code": "server_error", "message": "The request could not be processed."},
                    )
                )
                continue
            reply = OpenAIServer.handle(self, _as_chat_request(item["body"], self.api_key))
            response = {
                "status_code": reply.status,
                "request_id": reply.headers.get("x-request-id", f"req_{req_id}"),
                "body": json.loads(reply.body),
            }
            if reply.status == 200:
                output.append(
                    {
                        "id": req_id,
                        "custom_id": item["custom_id"],
                        "response": response,
                        "error": None,
                    }
                )
            else:
                errors.append(_error_line(req_id, item["custom_id"], response, None))
        if self.shuffle:
            self._rng.shuffle(output)
        if output:
            batch["output_file_id"] = self._store_file(_dump(output), "output.jsonl", "batch")["id"]
        if errors:
            batch["error_file_id"] = self._store_file(_dump(errors), "errors.jsonl", "batch")["id"]
        batch["request_counts"].update(completed=len(output), failed=len(errors))
        batch.update(status=COMPLETED, finalizing_at=now, completed_at=now)


def _as_chat_request(body: dict[str, Any], api_key: str) -> RecordedRequest:
    return RecordedRequest(
        method="POST",
        path="/v1/chat/completions",
        query={},
        headers={"authorization": f"Bearer {api_key}", "content-type": "application/json"},
        body=json.dumps(body).encode("utf-8"),
    )


def _error_line(
    req_id: str, custom_id: str, response: dict[str, Any] | None, error: dict[str, Any] | None
) -> dict[str, Any]:
    return {"id": req_id, "custom_id": custom_id, "response": response, "error": error}


def _line_error(code: str, message: str, line: int | None) -> dict[str, Any]:
    return {"code": code, "message": message, "param": None, "line": line}


def _public(batch: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in batch.items() if not k.startswith("_")}


def _dump(lines: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines).encode("utf-8")


def _jsonl(content: bytes) -> list[dict[str, Any]]:
    return [json.loads(line) for line in content.decode("utf-8").splitlines() if line.strip()]
