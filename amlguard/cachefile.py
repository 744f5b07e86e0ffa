"""One file format for the warm caches (parsed YAML, compiled dataclass code, compiled regexes):
a magic line, a keyed BLAKE2b tag of the payload, then the payload as :mod:`marshal` data.

A cache can only cost time, never change a verdict: what it holds decides how rules read (the
parsed rule files) and even runs (code objects), so a file is trusted only when its tag was made
with this user's cache key. The key is 32 random bytes in ``$XDG_STATE_HOME/amlguard/cache-key``
(``~/.local/state`` by default), outside the cache folder, made on first use, mode 0600 in a
0700 folder. A cache folder written by anyone without the key (another user of a shared
``XDG_CACHE_HOME``, a CI cache restored from another job, a hand edit) reads as nothing. A key
file that is not a regular file owned by this user, readable or writable by nobody else, turns
the caches off (nothing is read or written): slower, never different.

A torn, foreign or corrupted file reads as nothing too; a folder that cannot be written only
costs the next run the work the file would have saved.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import stat
from typing import Any

try:  # the C module hashlib wraps: no OpenSSL import on the start-up path
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - an interpreter without it
    from hashlib import blake2b

KEY_BYTES = 32
TAG_BYTES = 16

#: (key file path, its key or None) of the last :func:`key` call: tests move XDG_STATE_HOME
_memo: tuple[str, bytes | None] | None = None


def key_file() -> str:
    """Where this user's cache key lives (``$XDG_STATE_HOME/amlguard/cache-key``)."""
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(
        os.path.expanduser("~"), ".local", "state"
    )
    return os.path.join(base, "amlguard", "cache-key")


def key() -> bytes | None:
    """This user's cache key, made on first use; None when it cannot be trusted or made
    (then no cache is read or written)."""
    global _memo
    path = key_file()
    if _memo is None or _memo[0] != path:
        found = _read_key(path)
        if found is None and not os.path.lexists(path):
            _make_key(path)
            found = _read_key(path)
        _memo = (path, found)
    return _memo[1]


def _read_key(path: str) -> bytes | None:
    """The key at ``path`` when it is a regular file of this user that nobody else may read
    or write (not followed if a symbolic link), and exactly :data:`KEY_BYTES` long."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except (OSError, ValueError):
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_mode & 0o077 or not _mine(st):
            return None
        data = os.read(fd, KEY_BYTES + 1)
    except OSError:
        return None
    finally:
        os.close(fd)
    return data if len(data) == KEY_BYTES else None


def _mine(st: os.stat_result) -> bool:
    """Whether this process's user owns the file (always, where there are no user ids)."""
    euid = getattr(os, "geteuid", None)
    return euid is None or st.st_uid == euid()


def _make_key(path: str) -> None:
    """Write a new random key at ``path`` unless another process just did (atomic: written
    to a private temporary file, then hard-linked into place, which never replaces)."""
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        fd = os.open(
            tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600
        )
        try:
            os.write(fd, os.urandom(KEY_BYTES))
        finally:
            os.close(fd)
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    except OSError:
        pass
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def _tag(secret: bytes, magic: bytes, payload: bytes) -> bytes:
    return blake2b(magic + payload, key=secret, digest_size=TAG_BYTES).digest()


def read(path: str, magic: bytes) -> Any:
    """The value stored at ``path`` under ``magic``; None when absent or not to be trusted."""
    secret = key()
    if secret is None:
        return None
    try:
        with open(path, "rb") as handle:
            blob = handle.read()
        start = len(magic) + TAG_BYTES
        tag, payload = blob[len(magic) : start], blob[start:]
        if not blob.startswith(magic) or tag != _tag(secret, magic, payload):
            return None  # torn, corrupted or not made with this user's key: never trust it
        return marshal.loads(payload)
    except (OSError, EOFError, ValueError, TypeError):
        return None


def write(path: str, magic: bytes, value: Any) -> None:
    """Store ``value`` at ``path`` under ``magic``, atomically (a temporary file renamed)."""
    secret = key()
    if secret is None:
        return
    try:
        payload = marshal.dumps(value)
    except ValueError:
        return
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        with open(tmp, "wb") as handle:
            handle.write(magic + _tag(secret, magic, payload) + payload)
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
