"""An archive file as a stream of lines, whatever its compression, in bounded memory.

The format is read from the file's first bytes, not its name: zstd (Pushshift's dumps and their
per-subreddit successors), gzip, or plain NDJSON. Pushshift compressed its dumps with a long
window (`--long=31`), which the zstd library refuses by default, so the decompressor is allowed a
2 GiB window. The window is the one memory cost that a file dictates: a decoder must keep as much
of the recent output as the file's window says matches may reach back, so decoding a `--long=31`
dump touches up to 2 GiB as it goes (less for a smaller file), then stays there however long the
file is. Everything the importer itself keeps is small and independent of the file's size.

`offset` counts the decompressed bytes handed out as whole lines, so an import killed mid-file
can come back to exactly the next line: decompressing and discarding is the only way to seek in
a compressed stream, and it is fast next to parsing.
"""

from __future__ import annotations

import gzip
import hashlib
import io
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import zstandard

ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAX_WINDOW = 2**31
READ_SIZE = 1 << 20
FINGERPRINT_BYTES = 1 << 20


def compression_of(path: Path) -> str:
    """ "zstd", "gzip" or "plain", from the magic number."""
    with path.open("rb") as handle:
        head = handle.read(4)
    if head.startswith(ZSTD_MAGIC):
        return "zstd"
    if head.startswith(GZIP_MAGIC):
        return "gzip"
    return "plain"


def fingerprint(path: Path) -> str:
    """A cheap identity of the file's content: its size and its first and last MiB.

    Used to recognise the same archive again (to resume it, to name its rejects), so it must not
    depend on the file's name, place or modification time.
    """
    size = path.stat().st_size
    digest = hashlib.sha256(str(size).encode())
    with path.open("rb") as handle:
        digest.update(handle.read(FINGERPRINT_BYTES))
        if size > 2 * FINGERPRINT_BYTES:
            handle.seek(size - FINGERPRINT_BYTES)
            digest.update(handle.read(FINGERPRINT_BYTES))
    return digest.hexdigest()[:16]


class ArchiveFile:
    """Lines (bytes, newline included) of one archive file, from a given decompressed offset."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.size = self.path.stat().st_size
        self.compression = compression_of(self.path)
        self.offset = 0
        self._raw = io.BufferedReader(io.FileIO(self.path, "rb"), READ_SIZE)
        self._stream = self._open(self._raw)

    def _open(self, raw: io.BufferedReader[io.FileIO]) -> io.BufferedIOBase:
        if self.compression == "zstd":
            reader = zstandard.ZstdDecompressor(max_window_size=ZSTD_MAX_WINDOW).stream_reader(
                raw, read_size=READ_SIZE, read_across_frames=True
            )
            return io.BufferedReader(cast(io.RawIOBase, reader), buffer_size=READ_SIZE)
        if self.compression == "gzip":
            return gzip.GzipFile(fileobj=raw, mode="rb")
        return raw

    @property
    def compressed_position(self) -> int:
        """How far into the file on disk the reader is: what a progress bar can show."""
        try:
            return self._raw.tell()
        except (OSError, ValueError):
            return self.size

    def skip_to(self, offset: int) -> None:
        """Decompress and discard up to `offset` (a line boundary an earlier reader recorded)."""
        remaining = offset - self.offset
        while remaining > 0:
            chunk = self._stream.read(min(remaining, READ_SIZE))
            if not chunk:
                raise ValueError(
                    f"{self.path}: ends at {self.offset} bytes, before the recorded offset "
                    f"{offset}; the file changed since the interrupted import"
                )
            remaining -= len(chunk)
            self.offset += len(chunk)

    def lines(self) -> Iterator[bytes]:
        for line in self._stream:
            self.offset += len(line)
            yield line

    def close(self) -> None:
        self._stream.close()
        self._raw.close()

    def __enter__(self) -> ArchiveFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
