"""A warm cache of what parsing the shipped and user YAML produced, so a check skips PyYAML.

Every ``check`` parsed the three rule files, ``pack.yaml``, ``private_link.yaml`` and the
config file, and hashed the pack: ~8 ms of parsing plus ~10 ms to import yaml and hashlib,
for files that rarely change. Entries are keyed on the file's absolute path, size,
``mtime_ns`` **and a BLAKE2b digest of its bytes**, plus amlguard's version, the interpreter
and the schemas' own signatures (a new schema re-validates everything); the file names its
format. Size and mtime alone are not enough: an edit that keeps both (a same-length change
within the timestamp granularity, ``touch -r``, a checkout or copy that preserves mtimes)
would be served the old parse, e.g. a suppression that expired would keep the gate green.
Hashing the few small files costs well under a millisecond (``_blake2`` imports in ~0.5 ms,
unlike ``hashlib``'s OpenSSL binding); see BENCHMARKS.md.

Only regular files are hashed (anything else is never cached, so the real reader refuses it),
and only files that parsed, validated and compiled cleanly are stored, so every problem is
still reported from the real parse as ``file:line:col``. A file modified in the last two
seconds is not stored (it may still be being written). A missing, stale, unreadable or corrupt
cache only costs the parse; the file is written atomically (temporary file, then
``os.replace``). The file is trusted only when its tag was made with this user's cache key
(:mod:`amlguard.cachefile`): a cache someone else wrote reads as empty. ``AMLGUARD_NO_CACHE``
bypasses it.
"""

from __future__ import annotations

import marshal
import os
import stat
import sys
import time
from typing import Any

from amlguard import __version__, cachefile
from amlguard.cachefile import blake2b  # _blake2's: no OpenSSL import on the start-up path

FORMAT = 3  # 3: signatures carry a content digest
_MAGIC = b"amlguard-parsed\n"
_MAX_ENTRIES = 256  # user rule files of many checkouts; the oldest written goes first
_RACY_NS = 2_000_000_000  # FAT's 2 s mtime granularity is the coarsest in common use
_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

_MAX_HASHED = 16 << 20  # a bigger "config" or rule file is parsed every time, never cached
_CHUNK = 1 << 20

Signature = tuple[int, int, bytes]  # (size, mtime_ns, BLAKE2b-128 of the content)
_Key = tuple[str, str, tuple[Any, ...]]  # (kind, absolute path or paths, stamp)


def cache_file() -> str | None:
    """Where the cache lives (``$XDG_CACHE_HOME/amlguard/parsed``); None when disabled."""
    if os.environ.get("AMLGUARD_NO_CACHE"):
        return None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "amlguard", "parsed")


def package_file(relative: str) -> str:
    """The path of a file shipped in the ``amlguard`` package (``policies/...``)."""
    return os.path.join(_PACKAGE, *relative.split("/"))


def signature(path: str) -> Signature | None:
    """(size, mtime_ns, content digest) of a regular file; None when it cannot be read as
    one (then nothing is cached and the real reader reports the problem).

    Opened non-blocking and checked with ``fstat`` on the open descriptor, so a FIFO or a
    device is never read (it could block forever or never end)."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except (OSError, ValueError):
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > _MAX_HASHED:
            return None
        digest = blake2b(digest_size=16)
        # Chunks sized to the file (one byte over, to see the end in one read): a 1 MiB
        # buffer for every small file costs ~1 M instructions a file to allocate and shrink.
        size = min(_CHUNK, st.st_size + 1)
        with os.fdopen(fd, "rb", buffering=0, closefd=False) as handle:
            while chunk := handle.read(size):
                digest.update(chunk)
    except OSError:
        return None
    finally:
        os.close(fd)
    return st.st_size, st.st_mtime_ns, digest.digest()


def _stamp() -> tuple[Any, ...]:
    """What every entry was also made by: amlguard's version, the interpreter, the schemas.

    Part of each entry's key rather than of the file, so checkouts or versions sharing one
    cache folder keep their own entries instead of wiping each other's.
    """
    schemas = tuple(
        signature(package_file(f"policies/schemas/{name}"))
        for name in ("rules.schema.json", "config.schema.json")
    )
    return (__version__, sys.implementation.cache_tag, schemas)


_Entry = tuple[tuple[Signature, ...], bytes]  # (file signatures, value)


class _Store:
    """The entries of one cache file, read once, written back when something was added."""

    def __init__(self, path: str | None) -> None:
        self.path = path
        self.stamp = _stamp()
        self.entries: dict[_Key, _Entry] = {}
        self.dirty = False
        if path is not None:
            self.entries = self._read(path)

    def _read(self, path: str) -> dict[_Key, _Entry]:
        stored = cachefile.read(path, _MAGIC)  # None: absent, torn, or not made with our key
        if type(stored) is not tuple or len(stored) != 2:
            return {}
        header, entries = stored
        if header != FORMAT or not isinstance(entries, dict):
            return {}
        return entries

    def write(self) -> None:
        if self.path is None or not self.dirty:
            return
        self.dirty = False
        while len(self.entries) > _MAX_ENTRIES:
            del self.entries[next(iter(self.entries))]
        # a read-only or full cache folder only costs the next run the parse
        cachefile.write(self.path, _MAGIC, (FORMAT, self.entries))


_store: _Store | None = None


def _current() -> _Store:
    # Re-read when the location changes (tests point XDG_CACHE_HOME elsewhere per test).
    global _store
    path = cache_file()
    if _store is None or _store.path != path:
        _store = _Store(path)
    return _store


def stamp() -> tuple[Any, ...] | None:
    """What every entry is also keyed on (version, interpreter, schemas); None when disabled."""
    store = _current()
    return store.stamp if store.path is not None else None


def get(kind: str, key: str, sigs: tuple[Signature | None, ...]) -> Any | None:
    """The value stored under ``key`` when made from files of exactly these signatures."""
    if None in sigs:
        return None
    store = _current()
    entry = store.entries.get((kind, key, store.stamp))
    if entry is None or entry[0] != sigs:
        return None
    try:
        return marshal.loads(entry[1])
    except (EOFError, ValueError, TypeError):
        return None


def encode(value: Any) -> bytes | None:
    """``value`` frozen now (before a caller can mutate it); None if it cannot be stored."""
    try:
        return marshal.dumps(value)
    except ValueError:  # e.g. a YAML date: such a file is simply parsed every time
        return None


def put(kind: str, key: str, sigs: tuple[Signature | None, ...], blob: bytes | None) -> None:
    """Remember ``blob`` (from :func:`encode`), made from files of these signatures.

    Written by :func:`save`. Nothing is stored for a file without a signature or one modified
    in the last two seconds.
    """
    if blob is None:
        return
    settled = time.time_ns() - _RACY_NS
    if any(sig is None or sig[1] > settled for sig in sigs):
        return
    store = _current()
    if store.path is None:
        return
    entry_key = (kind, key, store.stamp)
    store.entries.pop(entry_key, None)  # re-insert last: the trim drops the oldest
    store.entries[entry_key] = (tuple(s for s in sigs if s is not None), blob)
    store.dirty = True


def save() -> None:
    """Write what :func:`put` added since the last save (atomically; errors are ignored)."""
    if _store is not None:
        _store.write()
