"""One bounded reader for every file a user hands amlguard (snapshots, rule and config files,
baselines, SARIF artifacts).

- Only regular files are read: a directory, a FIFO, a socket or a device (``/dev/zero``,
  ``/dev/stdin``) is refused at once, never read (it could block forever or never end). The
  file is opened non-blocking and checked with ``fstat`` on the open descriptor, so a file
  swapped for a FIFO between a check and the read cannot slip through.
- gzip content (detected by its magic bytes, not the name) is decompressed incrementally and
  bounded: at most :data:`GZIP_MAX_BYTES` (1 GiB), and at most :data:`GZIP_MAX_RATIO` (200)
  times the compressed size, though a small file may always expand to
  :data:`GZIP_MIN_ALLOWANCE` (64 MiB). A "gzip bomb" (4 MB expanding to 4 GB) is an input
  error after reading the allowed amount, not a MemoryError.

Every problem is an :class:`~amlguard.errors.InputError` naming the file (exit 2).
"""

from __future__ import annotations

import errno
import os
import stat
import zlib
from pathlib import Path

from amlguard.errors import InputError

#: The most any gzip input may expand to.
GZIP_MAX_BYTES = 1 << 30
#: The most any gzip input may expand relative to its compressed size...
GZIP_MAX_RATIO = 200
#: ...except that every gzip input may expand to at least this much.
GZIP_MIN_ALLOWANCE = 64 << 20

_CHUNK = 1 << 20


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def not_regular(path: Path | str) -> str | None:
    """Why ``path`` cannot be read as a regular file ("not found", "is a named pipe (FIFO),
    not a regular file", ...), or None when it is one. For a path handed on to a library
    that opens it itself (``--ca-bundle``): a FIFO would block it forever."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return "file not found"
    except (OSError, ValueError) as exc:
        return f"cannot read it: {getattr(exc, 'strerror', None) or exc}"
    if not stat.S_ISREG(mode):
        return f"is {_kind(mode)}, not a regular file"
    return None


def read_bytes(path: Path, what: str = "file") -> bytes:
    """The bytes of a regular file (gzip content decompressed within the bound)."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise InputError(f"{path}: {what} not found") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, not a {what}") from None
    except OSError as exc:
        if exc.errno == errno.ENXIO:  # a FIFO or socket nobody writes to
            raise InputError(
                f"{path}: is not a regular file; refusing to read a {what} from it"
            ) from None
        raise InputError(f"{path}: cannot read {what}: {exc.strerror or exc}") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise InputError(f"{path}: is {_kind(mode)}, not a regular file; give a {what} path")
        with os.fdopen(fd, "rb", closefd=False) as handle:
            raw = handle.read()
    except OSError as exc:
        raise InputError(f"{path}: cannot read {what}: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    if raw[:2] == b"\x1f\x8b":
        return gunzip(raw, path)
    return raw


def gzip_allowance(compressed: int) -> int:
    """How many bytes gzip content of this compressed size may expand to."""
    return min(GZIP_MAX_BYTES, max(GZIP_MIN_ALLOWANCE, GZIP_MAX_RATIO * compressed))


def gunzip(raw: bytes, path: Path | str, limit: int | None = None) -> bytes:
    """Decompress every gzip member of ``raw``, refusing to expand beyond ``limit``."""
    allowance = gzip_allowance(len(raw)) if limit is None else limit
    out = bytearray()
    data = raw
    try:
        while data:
            engine = zlib.decompressobj(wbits=31)
            pending = data
            while True:
                chunk = engine.decompress(pending, min(_CHUNK, allowance - len(out) + 1))
                out += chunk
                if len(out) > allowance:
                    raise InputError(
                        f"{path}: gzip content expands beyond {allowance:,} bytes (the bound is "
                        f"{GZIP_MAX_RATIO}x the compressed size, at least "
                        f"{GZIP_MIN_ALLOWANCE >> 20} MiB, at most {GZIP_MAX_BYTES >> 30} GiB); "
                        "refusing a possible decompression bomb"
                    )
                if engine.eof:
                    break
                pending = engine.unconsumed_tail
                if not pending and not chunk:
                    raise InputError(f"{path}: corrupt gzip data: truncated stream")
            data = engine.unused_data.lstrip(b"\0")  # trailing padding after the last member
            if data and data[:2] != b"\x1f\x8b":
                raise InputError(f"{path}: corrupt gzip data: garbage after the gzip stream")
    except zlib.error as exc:
        raise InputError(f"{path}: corrupt gzip data: {exc}") from None
    return bytes(out)


def read_text(path: Path, what: str = "file") -> str:
    """A regular file's text: UTF-8 (a BOM is dropped), or UTF-16 with a BOM."""
    raw = read_bytes(path, what)
    return decode(raw, path, what)


def decode(raw: bytes, path: Path | str, what: str = "file") -> str:
    """Bytes as text: UTF-16 with its BOM, else UTF-8 with or without a BOM."""
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise InputError(f"{path}: not valid UTF-16 text (byte {exc.start})") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        start = exc.start + (3 if raw[:3] == b"\xef\xbb\xbf" else 0)
        raise InputError(
            f"{path}: not UTF-8 text (invalid byte 0x{raw[start]:02x} at offset {start}); "
            f"save the {what} as UTF-8"
        ) from None
