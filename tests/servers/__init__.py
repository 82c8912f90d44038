"""Real HTTP servers on loopback that speak the protocols of the services the pipeline calls.

The live clients (praw, openai, yfinance) are tested against these instead of mocks, so a test
exercises the client library's real request building and response parsing. Each server runs a
ThreadingHTTPServer on 127.0.0.1 with a free port in a daemon thread and records every request it
got, so tests can assert on what was sent as well as on what came back.
"""

from __future__ import annotations

import json
import random
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-cased names
    body: bytes
    at: float = field(default_factory=time.monotonic)  # when it arrived, for pacing checks

    def param(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else default

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Reply:
        return cls(
            status=status,
            body=json.dumps(payload).encode("utf-8"),
            headers={"Content-Type": "application/json; charset=UTF-8", **(headers or {})},
        )


def free_port() -> int:
    """A port nothing listens on right now: for 'server is down' tests."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LoopbackServer:
    """Base class: subclasses implement `handle`; this class owns the socket, thread and log."""

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        # Random faults ("chaos"): each request, with probability `chaos_rate`, gets one of
        # `chaos_kinds` (server-specific fault names), drawn from a seeded RNG so a soak is
        # repeatable. Every fault handed out is counted in `faults_injected`.
        self.chaos_rate = 0.0
        self.chaos_kinds: tuple[str, ...] = ()
        self.faults_injected: Counter[str] = Counter()
        self._chaos_rng = random.Random(0)

    # -- chaos ----------------------------------------------------------------------------------
    def set_chaos(self, rate: float, kinds: tuple[str, ...], seed: int = 0) -> None:
        if not 0.0 <= rate <= 1.0:
            raise ValueError("chaos rate must be in [0, 1]")
        if rate and not kinds:
            raise ValueError("chaos needs at least one fault kind")
        with self._lock:
            self.chaos_rate, self.chaos_kinds = rate, tuple(kinds)
            self._chaos_rng = random.Random(seed)

    def chaos_kind(self) -> str | None:
        """The random fault for this request, or None; subclasses call it from `handle`."""
        with self._lock:
            if not self.chaos_rate or self._chaos_rng.random() >= self.chaos_rate:
                return None
            kind = self._chaos_rng.choice(self.chaos_kinds)
            self.faults_injected[kind] += 1
            return kind

    # -- to implement -------------------------------------------------------------------------
    def handle(self, request: RecordedRequest) -> Reply:
        raise NotImplementedError

    def http_now(self) -> float | None:
        """The epoch the `Date` header of replies shows; None for real time. A server that
        replays a timeline returns its clock, as a real server's Date is its own now."""
        return None

    # -- lifecycle ------------------------------------------------------------------------------
    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("server not started")
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Self:
        handler = _make_handler(self)
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, args=(0.05,), name=type(self).__name__, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- log ------------------------------------------------------------------------------------
    def record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def requests_to(self, path_prefix: str, method: str | None = None) -> list[RecordedRequest]:
        with self._lock:
            return [
                r
                for r in self.requests
                if r.path.startswith(path_prefix) and (method is None or r.method == method)
            ]


def _make_handler(server: LoopbackServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            parts = urlsplit(self.path)
            request = RecordedRequest(
                method=self.command,
                path=parts.path,
                query=parse_qs(parts.query, keep_blank_values=True),
                headers={k.lower(): v for k, v in self.headers.items()},
                body=body,
            )
            server.record(request)
            try:
                reply = server.handle(request)
            except Exception as exc:  # a bug in a test server must show up as a 500, not a hang
                reply = Reply.json({"error": f"test server error: {exc!r}"}, status=500)
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(reply.body)

        do_GET = do_POST = do_HEAD = _serve

        def date_time_string(self, timestamp: float | None = None) -> str:
            now = server.http_now()
            return super().date_time_string(now if now is not None else timestamp)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
            pass

    return Handler
