"""Rows as request bodies: each row serialised once, packed into batches under the size limit.

The Logs Ingestion API takes at most 1 MB per call, "both compressed and uncompressed". The
SDK's own chunking (``upload(logs=list)``) counts 1 MiB of per-row JSON and leaves out the
array's brackets and separators, so a chunk can exceed a decimal megabyte; it also serialises
every row twice. Here each row is encoded once and a batch's exact body (``[row,row,...]``) is
kept under :data:`MAX_BATCH_BYTES`; the SDK then uploads each body as it is, one request each.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from amlguard.export.values import truncate

#: One request's body, uncompressed: under the service's 1 MB (decimal, to be safe).
MAX_BATCH_BYTES = 1_000_000
#: Level of the gzip body: level 1 is several times faster than 6 and, on rows that repeat
#: ids and texts, the body is still ~10x smaller than the 1 MB limit (ISA-L's level 1 is ~5x
#: faster again than zlib's, and its bodies ~10% smaller).
COMPRESS_LEVEL = 1

_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str).encode


@dataclass(slots=True)
class Batch:
    """Encoded rows that go in one request (``body`` is the JSON array they form)."""

    rows: list[bytes] = field(default_factory=list)
    size: int = 2  # len(body): the brackets, rows and commas

    @property
    def body(self) -> bytes:
        """The JSON array of the rows, UTF-8."""
        return b"[" + b",".join(self.rows) + b"]"

    def gzipped(self) -> bytes:
        """The body as the request sends it (``Content-Encoding: gzip``), compressed as it is
        joined (no copy of the whole body first)."""
        compressor = _compressor()
        return b"".join(
            (
                compressor.compress(b"["),
                compressor.compress(b",".join(self.rows)),
                compressor.compress(b"]"),
                compressor.flush(),
            )
        )

    def halves(self) -> list[Batch]:
        """The rows split in two batches (a 413 answer asks for smaller requests)."""
        middle = len(self.rows) // 2
        return [batch_of(self.rows[:middle]), batch_of(self.rows[middle:])]


def _compressor() -> Any:
    """A gzip stream compressor: ISA-L's (``isal``, where its wheel installs) or zlib's."""
    gzip_zlib: ModuleType = zlib
    try:
        from isal import isal_zlib  # C, vectorised: was the export's costliest step

        gzip_zlib = isal_zlib
    except ImportError:  # the same gzip stream, from zlib
        pass
    return gzip_zlib.compressobj(COMPRESS_LEVEL, gzip_zlib.DEFLATED, 16 + gzip_zlib.MAX_WBITS)


def batch_of(rows: list[bytes]) -> Batch:
    """A batch holding exactly these encoded rows."""
    return Batch(list(rows), 2 + sum(len(r) for r in rows) + max(len(rows) - 1, 0))


def encode_row(row: dict[str, Any], limit: int = MAX_BATCH_BYTES - 2) -> bytes:
    """One row as compact UTF-8 JSON; a row too big for any batch has its strings cut further."""
    data = _ENCODE(row).encode("utf-8")
    if len(data) <= limit:
        return data
    share = max(limit // (2 * max(len(row), 1)), 256)
    smaller = {k: truncate(v, share) if isinstance(v, str) else v for k, v in row.items()}
    data = _ENCODE(smaller).encode("utf-8")
    if len(data) > limit:  # dynamic values too: keep them as truncated JSON text
        smaller = {
            k: truncate(v if isinstance(v, str) else _ENCODE(v), share)
            if isinstance(v, (str, dict, list))
            else v
            for k, v in smaller.items()
        }
        data = _ENCODE(smaller).encode("utf-8")
    return data


def make_batches(rows: Iterable[dict[str, Any]], limit: int = MAX_BATCH_BYTES) -> list[Batch]:
    """The rows, encoded, in order, packed greedily into batches whose body is <= ``limit``."""
    return pack((_ENCODE(row) for row in rows), limit)


def pack(texts: Iterable[str], limit: int = MAX_BATCH_BYTES) -> list[Batch]:
    """Rows already encoded as JSON text, in order, packed into batches of at most ``limit``."""
    return list(iter_batches(texts, limit))


def iter_batches(texts: Iterable[str], limit: int = MAX_BATCH_BYTES) -> Iterator[Batch]:
    """:func:`pack`, each batch handed out as soon as it is full (sending overlaps encoding)."""
    # (the export's main thread runs this once per row: each name and length is read once)
    rows: list[bytes] = []
    append = rows.append
    size = 2  # the body's bytes so far: brackets, rows, commas
    room = limit - 2
    for text in texts:
        data = text.encode("utf-8")
        n = len(data)
        if n > room:  # one row alone would not fit: cut its values
            data = encode_row(json.loads(text), room)
            n = len(data)
        if rows:
            size += n + 1
            if size > limit:
                yield Batch(rows, size - n - 1)
                rows = []
                append = rows.append
                size = 2 + n
        else:
            size = 2 + n
        append(data)
    if rows:
        yield Batch(rows, size)


def minimum_requests(batches: list[Batch], limit: int = MAX_BATCH_BYTES) -> int:
    """The fewest requests these rows could take: their total bytes over the limit, rounded up."""
    total = sum(b.size for b in batches)
    return max(-(-total // limit), 1 if batches else 0)


def rows_of(body: bytes) -> list[bytes]:
    """The encoded rows of a JSON array body (spooled batches); ValueError when it is not one."""
    value = json.loads(body)
    if not isinstance(value, list) or not all(isinstance(r, dict) for r in value):
        raise ValueError("not a JSON array of objects")
    return [_ENCODE(r).encode("utf-8") for r in value]
