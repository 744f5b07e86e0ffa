"""Batches that could not be delivered, kept on disk until the next export sends them.

Layout: ``<state dir>/amlguard/spool/<target key>/`` holds ``target.json`` (the ingestion URL,
for people and ``export retry``) and one ``<time>-<n>-<rand>.json.gz`` per failed batch: the
gzipped JSON array of its rows, exactly the body that was not accepted. Files are private
(0600, folder 0700) and hold rows only: never a header, token or credential.

Sending exactly once: a process claims a file by renaming it (atomic) to ``*.sending-<pid>``
before the upload, deletes it once the service accepted it, and renames it back otherwise. A
claim left by a process that died is taken back on the next run.
"""

from __future__ import annotations

import datetime as dt
import gzip
import itertools
import json
import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from amlguard.errors import InputError
from amlguard.export.batches import Batch, batch_of, rows_of
from amlguard.export.target import LogAnalyticsTarget
from amlguard.statedir import state_home

_log = logging.getLogger("amlguard.export")
_SUFFIX = ".json.gz"
_CLAIM = ".sending-"
_counter = itertools.count()


def default_state_dir() -> Path:
    """``$XDG_STATE_HOME`` when set to an absolute path, else ``~/.local/state``."""
    return state_home()


def spool_root(state_dir: Path | None = None) -> Path:
    """The folder every target's spool lives under."""
    return (state_dir or default_state_dir()) / "amlguard" / "spool"


@dataclass(slots=True)
class Spooled:
    """One claimed spool file and the batch it holds."""

    path: Path  # the claimed name (``*.sending-<pid>``)
    original: Path
    batch: Batch


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, not ours
        return True
    return True


class Spool:
    """The spool of one target."""

    def __init__(self, target: LogAnalyticsTarget, state_dir: Path | None = None) -> None:
        self.target = target
        self.folder = spool_root(state_dir) / target.key
        self.warnings: list[str] = []

    def files(self) -> list[Path]:
        """Spooled batch files waiting (not claimed), oldest first."""
        if not self.folder.is_dir():
            return []
        return sorted(p for p in self.folder.iterdir() if p.name.endswith(_SUFFIX))

    def pending_rows(self) -> int:
        """Rows waiting in this target's spool (unreadable files count as none)."""
        total = 0
        for path in self.files():
            try:
                total += len(json.loads(gzip.decompress(path.read_bytes())))
            except (OSError, ValueError, EOFError):
                continue
        return total

    def _reclaim_abandoned(self) -> None:
        for path in self.folder.iterdir():
            name, sep, pid = path.name.rpartition(_CLAIM)
            if sep and pid.isdigit() and not _alive(int(pid)):
                os.replace(path, path.with_name(name))

    def claim(self) -> list[Spooled]:
        """Take every waiting batch for this process, oldest first (unreadable ones set aside)."""
        if not self.folder.is_dir():
            return []
        self._reclaim_abandoned()
        claimed: list[Spooled] = []
        for path in self.files():
            mine = path.with_name(f"{path.name}{_CLAIM}{os.getpid()}")
            try:
                os.rename(path, mine)
            except FileNotFoundError:  # another process took it
                continue
            try:
                batch = batch_of(rows_of(gzip.decompress(mine.read_bytes())))
            except (OSError, ValueError, EOFError) as exc:
                bad = path.with_name(path.name + ".unreadable")
                os.replace(mine, bad)
                self.warnings.append(f"spool file {bad} cannot be read ({exc}); set aside")
                continue
            claimed.append(Spooled(mine, path, batch))
        return claimed

    def delivered(self, item: Spooled) -> None:
        """The service accepted a claimed batch: it is gone from the spool."""
        item.path.unlink(missing_ok=True)

    def release(self, item: Spooled) -> None:
        """A claimed batch was not delivered: it waits for the next run again."""
        if item.path.exists():
            os.replace(item.path, item.original)

    def add(self, batch: Batch) -> Path:
        """Keep a batch that was not delivered; InputError when the spool cannot be written."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            marker = self.folder / "target.json"
            if not marker.exists():
                _write_private(marker, json.dumps({"url": self.target.url}).encode())
            stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
            name = f"{stamp}-{next(_counter):06d}-{secrets.token_hex(4)}{_SUFFIX}"
            path = self.folder / name
            _write_private(path, gzip.compress(batch.body, compresslevel=6))
        except OSError as exc:
            raise InputError(
                f"cannot write the export spool in {self.folder}: {exc.strerror or exc}"
            ) from None
        _log.info("spooled a batch of %d row(s) in %s", len(batch.rows), path)
        return path


def _write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to a new file only its owner can read, atomically."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
