"""One file format for the start-up caches (compiled dataclass code, compiled regexes): a magic
line, a CRC-32 of the payload, then the payload as :mod:`marshal` data. A torn, foreign or
corrupted file reads as nothing; a folder that cannot be written only costs the next run the
work the file would have saved."""

from __future__ import annotations

import contextlib
import marshal
import os
import zlib
from typing import Any


def read(path: str, magic: bytes) -> Any:
    """The value stored at ``path`` under ``magic``; None when absent or not to be trusted."""
    try:
        with open(path, "rb") as handle:
            blob = handle.read()
        crc, payload = blob[len(magic) : len(magic) + 4], blob[len(magic) + 4 :]
        if not blob.startswith(magic) or int.from_bytes(crc, "big") != zlib.crc32(payload):
            return None  # torn or corrupted: never trust a byte of it
        return marshal.loads(payload)
    except (OSError, EOFError, ValueError, TypeError):
        return None


def write(path: str, magic: bytes, value: Any) -> None:
    """Store ``value`` at ``path`` under ``magic``, atomically (a temporary file renamed)."""
    try:
        payload = marshal.dumps(value)
    except ValueError:
        return
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(tmp, "wb") as handle:
            handle.write(magic + zlib.crc32(payload).to_bytes(4, "big") + payload)
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
