"""The object store ("lake") behind Airflow's ObjectStoragePath.

A local folder (file://) by default, S3 with an Airflow aws connection (s3://conn_id@bucket/prefix).
No reader may ever see half a file: locally a file is written under a temporary name and renamed
into place (rename is atomic on one filesystem); on S3 a single PUT, or a multipart upload that is
completed only at the end, is already all-or-nothing, so the object is written in one call.
A process killed mid-write (SIGKILL) can leave its hidden temporary file behind, never a partial
file at the final name; `list` skips such dot-files, and the next write of the name replaces it.
Parquet files are written from an explicit Arrow schema with no pandas metadata and no timestamps,
so a re-run that sees the same input writes the same bytes.
"""

from __future__ import annotations

import io
import os
import uuid
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.parquet as pq

if TYPE_CHECKING:
    from airflow.sdk import ObjectStoragePath

LOCAL_PROTOCOLS = {"file", "local"}


def _objectstoragepath(url: str) -> ObjectStoragePath:
    from airflow.sdk import ObjectStoragePath

    return ObjectStoragePath(url)


def conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """`table` in `schema`'s column order and types. A nullable column the file predates (a
    partition written before the column was added) reads back as nulls, so old partitions stay
    readable; a missing non-nullable column is still an error."""
    for field in schema:
        if field.name not in table.column_names and field.nullable:
            table = table.append_column(field, pa.nulls(table.num_rows, field.type))
    return table.select(schema.names).cast(schema)


class Lake:
    """Relative paths under one base URL, e.g. raw/reddit/subreddit=x/dt=…/interval=….parquet."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")

    def url(self, rel: str) -> str:
        if "://" in rel:
            return rel
        return f"{self.base_url}/{rel.lstrip('/')}"

    def path(self, rel: str) -> ObjectStoragePath:
        return _objectstoragepath(self.url(rel))

    def exists(self, rel: str) -> bool:
        return bool(self.path(rel).exists())

    def write_bytes(self, rel: str, data: bytes) -> str:
        target = self.path(rel)
        if target.protocol in LOCAL_PROTOCOLS:
            local = target.path
            os.makedirs(os.path.dirname(local), exist_ok=True)
            tmp = f"{os.path.dirname(local)}/.{os.path.basename(local)}.{uuid.uuid4().hex}.tmp"
            try:
                with open(tmp, "wb") as handle:
                    handle.write(data)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(tmp, local)
            finally:
                if os.path.exists(tmp):
                    os.unlink(tmp)
        else:
            target.write_bytes(data)
        return self.url(rel)

    def read_bytes(self, rel: str) -> bytes:
        return bytes(self.path(rel).read_bytes())

    def write_table(self, rel: str, table: pa.Table) -> str:
        buffer = io.BytesIO()
        pq.write_table(table, buffer, compression="zstd", write_statistics=True)
        return self.write_bytes(rel, buffer.getvalue())

    def read_table(self, rel: str, schema: pa.Schema | None = None) -> pa.Table:
        table = pq.read_table(io.BytesIO(self.read_bytes(rel)))
        if schema is not None:
            table = conform(table, schema)
        return table

    def list(self, rel: str) -> list[str]:
        target = self.path(rel)
        if not target.exists():
            return []
        return sorted(
            self.url(f"{rel.rstrip('/')}/{p.name}")
            for p in target.iterdir()
            if not p.name.startswith(".")  # a killed write's temporary file, not data
        )
