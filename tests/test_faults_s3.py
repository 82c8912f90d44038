"""S3 dies in the middle of a write: the task fails, nothing partial is visible, the retry wins.

moto's S3 server runs on loopback behind a TCP proxy the test can cut. The proxy forwards bytes
untouched until it sees the PUT of a chosen partition; it then passes the request headers and half
of the body, cuts both connections, stops listening and stops moto itself, so the client sees
what it would see if S3 died mid-upload: a dead connection, then refused ones. moto runs in this
process, so its store survives the restart, as a real bucket would survive an outage. The extract
stage writes one partition per subreddit; the second one is cut.
"""

from __future__ import annotations

import json
import re
import socket
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.servers import free_port
from tickerpulse.config import load_settings
from tickerpulse.intervals import Interval
from tickerpulse.stages import extract
from tickerpulse.stages.context import RunParams, StageContext

START = datetime(2024, 3, 5, 15, 0, tzinfo=UTC)
INTERVAL = Interval(START, START + timedelta(minutes=30))
SUBREDDITS = ("investing", "stocks", "wallstreetbets")  # written in this order
BUCKET, PREFIX = "lake", "tickerpulse"


class CuttableProxy:
    """A loopback TCP proxy that can die in the middle of one request, then come back."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.port = free_port()
        self.cut_marker: bytes | None = None  # cut the request whose bytes contain this
        self.on_cut: Callable[[], None] = lambda: None
        self.cut = threading.Event()
        self.body_bytes_passed = 0
        self._sockets: list[socket.socket] = []
        self._listener: socket.socket | None = None

    def start(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, args=(self._listener,), daemon=True).start()

    def stop(self) -> None:
        """Stop listening and drop every open connection (new ones are refused)."""
        if self._listener is not None:
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept()
            self._listener.close()
            self._listener = None
        for sock in self._sockets:
            _close(sock)
        self._sockets.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            self._sockets += [client, upstream]
            threading.Thread(target=self._upload, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        _close(src)
        _close(dst)

    def _upload(self, src: socket.socket, dst: socket.socket) -> None:
        """Client to server; once the marked request shows up, pass half its body and cut."""
        pending, half = b"", -1
        try:
            while data := src.recv(65536):
                if not pending and half < 0:
                    if not (self.cut_marker and self.cut_marker in data):
                        dst.sendall(data)
                        continue
                pending += data
                if half < 0:
                    if b"\r\n\r\n" not in pending:
                        continue
                    head, _, pending = pending.partition(b"\r\n\r\n")
                    found = re.search(rb"(?i)\r\ncontent-length:\s*(\d+)", head)
                    assert found, "the cut request has no Content-Length"
                    half = int(found[1]) // 2
                    dst.sendall(head + b"\r\n\r\n")  # then the body, after any 100-continue
                part = pending[: half - self.body_bytes_passed]
                dst.sendall(part)
                self.body_bytes_passed += len(part)
                pending = b"" if part else pending
                if self.body_bytes_passed >= half:
                    self.cut_marker = None
                    self.stop()
                    self.on_cut()
                    self.cut.set()
                    return
        except OSError:
            pass
        _close(src)
        _close(dst)


def _close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()


class S3:
    """moto's S3 server on a fixed port, restartable with its store intact."""

    def __init__(self) -> None:
        self.port = free_port()
        self._server: Any = None
        self.running = False

    def start(self) -> None:
        from moto.server import ThreadedMotoServer

        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self._server.start()
        self.running = True

    def stop(self) -> None:
        self._server.stop()
        self.running = False

    def reset(self) -> None:
        """Empty moto's store, which is per process, not per server: no test sees another's."""
        import urllib.request

        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/moto-api/reset", method="POST"
        )
        urllib.request.urlopen(request, timeout=10).close()

    def client(self) -> Any:
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=f"http://127.0.0.1:{self.port}",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            region_name="us-east-1",
        )

    def objects(self) -> dict[str, bytes]:
        client = self.client()
        listed = client.list_objects_v2(Bucket=BUCKET).get("Contents", [])
        return {
            o["Key"]: client.get_object(Bucket=BUCKET, Key=o["Key"])["Body"].read() for o in listed
        }


@pytest.fixture
def s3(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[S3, CuttableProxy]]:
    _forget_s3_store()
    s3 = S3()
    s3.start()
    s3.reset()
    s3.client().create_bucket(Bucket=BUCKET)
    proxy = CuttableProxy(s3.port)
    proxy.start()
    monkeypatch.setenv("TICKERPULSE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TICKERPULSE_REDDIT_SOURCE", "replay")
    # extract records coverage in Postgres; these tests are about the object store only
    monkeypatch.setenv("TICKERPULSE_SINK_WAREHOUSE", "false")
    monkeypatch.setenv(
        "AIRFLOW_CONN_AWS_DEFAULT",
        json.dumps(
            {
                "conn_type": "aws",
                "login": "testing",
                "password": "testing",
                "extra": {
                    "endpoint_url": f"http://127.0.0.1:{proxy.port}",
                    "region_name": "us-east-1",
                    # botocore's own retries: few and quick, so the failed task fails fast
                    "config_kwargs": {
                        "retries": {"max_attempts": 2, "mode": "standard"},
                        "connect_timeout": 1,
                        "read_timeout": 5,
                    },
                },
            }
        ),
    )
    try:
        yield s3, proxy
    finally:
        proxy.stop()
        if not s3.running:
            s3.start()
        s3.reset()
        s3.stop()
        _forget_s3_store()


def _forget_s3_store() -> None:
    """Airflow caches one filesystem per (protocol, conn_id) for the life of the process; each
    test here has its own endpoint, so the cached one must go (before and after)."""
    from airflow.sdk.io import store

    store._STORE_CACHE.pop("s3-aws_default", None)


def _extract(lake_url: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setenv("TICKERPULSE_LAKE_URL", lake_url)
    settings = load_settings()
    params = RunParams.from_params({"subreddits": list(SUBREDDITS)}, settings)
    return extract.run(StageContext(INTERVAL, params, settings))


def _key_of(rel: str) -> str:
    return f"{PREFIX}/{rel}"


def test_s3_dies_mid_upload_then_the_retry_writes_the_complete_partition(
    s3: tuple[S3, CuttableProxy], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server, proxy = s3
    # Fault-free reference: the same stage on a local lake (Parquet bytes are deterministic).
    local = tmp_path / "reference"
    _extract(local.as_uri(), monkeypatch)
    expected = {
        _key_of(str(p.relative_to(local))): p.read_bytes() for p in local.rglob("*.parquet")
    }
    assert len(expected) == len(SUBREDDITS)
    cut_key = next(k for k in expected if "subreddit=stocks" in k)

    proxy.cut_marker = b"PUT /lake/tickerpulse/raw/reddit/subreddit%3Dstocks/"
    proxy.on_cut = server.stop
    lake_url = f"s3://aws_default@{BUCKET}/{PREFIX}"
    with pytest.raises(Exception, match=r"(?i)connect|endpoint|connection") as failure:
        _extract(lake_url, monkeypatch)
    assert proxy.cut.is_set()
    assert 0 < proxy.body_bytes_passed < len(expected[cut_key])
    assert not server.running, "S3 was down when the task failed"
    assert "stocks" in str(failure.value)  # the error names the object being written

    # S3 comes back (same store). Only the partition written before the outage is there, whole;
    # the cut one is not visible at all, and no multipart upload was left behind.
    server.start()
    proxy.start()
    first = next(k for k in expected if "subreddit=investing" in k)
    assert server.objects() == {first: expected[first]}
    assert not server.client().list_multipart_uploads(Bucket=BUCKET).get("Uploads")

    out = _extract(lake_url, monkeypatch)  # the task's retry
    assert out["origins"] == {"investing": "lake", "stocks": "replay", "wallstreetbets": "replay"}
    assert server.objects() == expected


def test_s3_down_before_the_write_fails_the_task_without_writing(
    s3: tuple[S3, CuttableProxy], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server, proxy = s3
    proxy.stop()
    server.stop()
    with pytest.raises(Exception, match=r"(?i)connect|endpoint|connection") as failure:
        _extract(f"s3://aws_default@{BUCKET}/{PREFIX}", monkeypatch)
    assert str(proxy.port) in str(failure.value)
    server.start()
    assert server.objects() == {}
    assert not server.client().list_multipart_uploads(Bucket=BUCKET).get("Uploads")
