"""Writing what amlguard produces (reports, baselines, plans, snapshots, rows) to a path.

One writer for every output file, so each gets the same guarantees:

* **Whole or nothing.** A regular file (or a path that does not exist yet) is written to a
  temporary file beside it and renamed over it: an interrupted run never leaves half a report.
  A symlink to a regular file keeps being a symlink: its target is replaced.
* **Never replace the process's own output.** ``-o json:/dev/stdout`` (``/dev/stderr``,
  ``/dev/fd/N``) appends to that open file: a redirected CI log keeps what came before.
* **Never replace what is not a file.** ``/dev/null`` or a named pipe is written *through* (opened and written, as ``tee`` would), never renamed over: as root a
  rename would turn ``/dev/null`` into a regular file for every process on the machine. A pipe
  nobody reads is refused at once (no hang); directories and sockets are refused.
* **Never over an input.** :func:`refuse_inputs` names the input an output would destroy.

Every failure is an :class:`~amlguard.errors.InputError` naming the path (exit 2).
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
from collections.abc import Iterable
from pathlib import Path

from amlguard.errors import InputError

#: ``/dev/stdout``, ``/dev/stderr``, ``/dev/fd/N``, ``/proc/self/fd/N``: this process's own
#: open files, which may be a redirected log that must be appended to, not replaced
_OWN_FD = re.compile(r"^/(?:dev/(?:(?P<std>stdout|stderr)|fd/(?P<n>\d+))|proc/self/fd/(?P<p>\d+))$")


def _own_fd(path: Path) -> int | None:
    m = _OWN_FD.match(os.path.normpath(str(path)))
    if m is None:
        return None
    if m["std"]:
        return 1 if m["std"] == "stdout" else 2
    return int(m["n"] or m["p"])


def write_output(path: Path, data: str | bytes, what: str) -> None:
    """Write ``data`` (text as UTF-8) to ``path`` as the module docstring says."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd = _own_fd(path)
    if (
        fd is not None
    ):  # `-o json:/dev/stdout > ci.log`: the log gets the report, and keeps the rest
        _write_fd(fd, payload, what, path)
        return
    try:
        mode = os.stat(path).st_mode  # follows symlinks: what would really be written
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        raise InputError(f"{path}: cannot write {what}: {exc.strerror or exc}") from None
    if mode is not None and stat.S_ISDIR(mode):
        raise InputError(f"{path}: cannot write {what}: it is a directory")
    if mode is not None and (stat.S_ISCHR(mode) or stat.S_ISFIFO(mode)):
        _write_through(path, payload, what, fifo=stat.S_ISFIFO(mode))
        return
    if mode is not None and not stat.S_ISREG(mode):
        raise InputError(f"{path}: cannot write {what}: not a regular file, device or pipe")
    target = Path(os.path.realpath(path)) if path.is_symlink() else path
    _replace(target, payload, what, shown=path)


def _write_fd(fd: int, payload: bytes, what: str, shown: Path) -> None:
    """Append to one of this process's open files, after what Python buffered for it."""
    import sys

    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            if stream is not None and stream.fileno() == fd:
                stream.flush()
    try:
        view = memoryview(payload)
        while view:
            view = view[os.write(fd, view) :]
    except OSError as exc:
        raise InputError(f"{shown}: cannot write {what}: {exc.strerror or exc}") from None


def _write_through(path: Path, payload: bytes, what: str, *, fifo: bool) -> None:
    flags = os.O_WRONLY | (os.O_NONBLOCK if fifo else 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ENXIO:
            raise InputError(
                f"{path}: cannot write {what}: it is a named pipe that no process is reading"
            ) from None
        raise InputError(f"{path}: cannot write {what}: {exc.strerror or exc}") from None
    try:
        if fifo:  # opened without blocking; write with it, so a slow reader is waited for
            import fcntl  # only for a named pipe: not on a check's start-up path

            fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~os.O_NONBLOCK)
        view = memoryview(payload)
        while view:
            written = os.write(fd, view)
            view = view[written:]
    except OSError as exc:
        raise InputError(f"{path}: cannot write {what}: {exc.strerror or exc}") from None
    finally:
        os.close(fd)


def _replace(target: Path, payload: bytes, what: str, *, shown: Path) -> None:
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as out:
            out.write(payload)
        os.replace(tmp, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise InputError(f"{shown}: cannot write {what}: {exc.strerror or exc}") from None
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def _same(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def refuse_shared(outputs: Iterable[tuple[str, Path]]) -> None:
    """InputError when two outputs (``(what, path)`` pairs: reports, history, plan, audit log)
    name one file: the second write would destroy the first. A character device such as
    ``/dev/null`` may take several."""
    seen: list[tuple[str, Path]] = []
    for what, path in outputs:
        try:
            if stat.S_ISCHR(os.stat(path).st_mode):
                continue
        except OSError:
            pass
        for earlier, other in seen:
            if _same(path, other):
                raise InputError(f"{earlier} and {what} write to the same file {path}")
        seen.append((what, path))


def refuse_inputs(output: Path, inputs: Iterable[tuple[str, Path]], what: str) -> None:
    """InputError when ``output`` is (or is inside a folder given as) one of ``inputs``:
    ``(flag, path)`` pairs such as ``("--config", Path("amlguard.yaml"))``; ``what`` names the
    output in the message (``--output json:out.json``)."""
    real_out = os.path.realpath(output)
    for flag, given in inputs:
        real_in = os.path.realpath(given)
        inside = os.path.isdir(given) and real_out.startswith(real_in.rstrip(os.sep) + os.sep)
        if inside or _same(output, given):
            raise InputError(
                f"{what} would overwrite the {flag} input {given}: write it somewhere else"
            )
