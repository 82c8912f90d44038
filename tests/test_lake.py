"""The lake on a local folder and on S3 (moto's server on loopback), with atomic writes."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest

from tests.test_intervals import t
from tickerpulse.intervals import Interval
from tickerpulse.lake import Lake
from tickerpulse.stages import paths


def test_exact_partition_paths() -> None:
    interval = Interval(t(14, 30), t(15, 0))
    assert paths.raw("wallstreetbets", interval) == (
        "raw/reddit/subreddit=wallstreetbets/dt=2024-03-05/interval=1430.parquet"
    )
    assert paths.shard(interval, 3) == "batches/dt=2024-03-05/interval=1430/shard=003.parquet"


def test_local_write_is_atomic_and_deterministic(tmp_path: Path) -> None:
    lake = Lake(tmp_path.as_uri())
    table = pa.table({"x": [1, 2, 3], "s": ["a", None, "ü"]})
    url = lake.write_table("a/b.parquet", table)
    first = (tmp_path / "a" / "b.parquet").read_bytes()
    lake.write_table("a/b.parquet", table)
    assert (tmp_path / "a" / "b.parquet").read_bytes() == first
    assert lake.read_table(url).equals(table)
    assert [p.name for p in (tmp_path / "a").iterdir()] == ["b.parquet"]  # no temp files left


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def s3_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    monkeypatch.setenv(
        "AIRFLOW_CONN_AWS_DEFAULT",
        json.dumps(
            {
                "conn_type": "aws",
                "login": "testing",
                "password": "testing",
                "extra": {"endpoint_url": endpoint, "region_name": "us-east-1"},
            }
        ),
    )
    import boto3

    boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    ).create_bucket(Bucket="lake")
    try:
        yield endpoint
    finally:
        server.stop()


def test_s3_round_trip_through_objectstoragepath(s3_server: str) -> None:
    import boto3

    lake = Lake("s3://aws_default@lake/tickerpulse")
    table = pa.table({"post_id": ["t3_a", "t3_b"]})
    url = lake.write_table("raw/x.parquet", table)
    assert url == "s3://aws_default@lake/tickerpulse/raw/x.parquet"
    assert lake.exists("raw/x.parquet")
    assert lake.read_table("raw/x.parquet").equals(table)
    keys = [
        o["Key"]
        for o in boto3.client(
            "s3",
            endpoint_url=s3_server,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            region_name="us-east-1",
        ).list_objects_v2(Bucket="lake")["Contents"]
    ]
    assert keys == ["tickerpulse/raw/x.parquet"]
