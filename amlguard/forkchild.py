"""A forked child process that computes some bytes and sends them back through a pipe.

What the parallel evaluation's workers (:mod:`amlguard.scanner.parallel`) and the snapshot's
verifier (:mod:`amlguard.scanner.sources.snapshotahead`) share. The child never writes to
stdout or stderr (both go to ``/dev/null``), never collects garbage (a collection would touch,
and so copy, every page of the shared heap), and ends with ``os._exit`` (no atexit, no buffer
flush): exit 0 after its whole answer is written, 70 on anything at all. The parent reads the
answer until end of file within a deadline; anything short of that is ``None`` and the caller
does the work itself (fail closed). Every child is reaped by :meth:`Child.close`, killed first
when it has not ended.

Forking is used only where it is allowed and safe (:func:`processes_allowed`): POSIX ``fork``
and ``sched_getaffinity``, two or more usable CPUs, no other thread alive (a fork copies the
locks other threads hold), and ``AMLGUARD_WORKERS`` not ``1``.
"""

from __future__ import annotations

import gc
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable

from amlguard.errors import InputError

#: ``1`` (or ``0``) forces a serial evaluation; a number N >= 2 allows at most N processes
#: (this one and N - 1 workers); unset, empty or ``auto``: as many as the usable CPUs
ENV_WORKERS = "AMLGUARD_WORKERS"

#: The signals that stop a scan: blocked around a fork, reset to their default in the child
STOPS = {signal.SIGINT, signal.SIGTERM}


def processes_allowed() -> tuple[int, str]:
    """How many processes may work at once (1 = no fork), and the reason when it is 1."""
    raw = os.environ.get(ENV_WORKERS, "").strip().lower()
    cap = 0
    if raw not in ("", "auto"):
        try:
            cap = int(raw, 10)
        except ValueError:
            raise InputError(
                f"{ENV_WORKERS}={raw!r}: expected a whole number of processes "
                "(1 = no worker process) or 'auto'"
            ) from None
        if cap < 0:
            raise InputError(f"{ENV_WORKERS}={raw!r}: expected 0 or more processes")
        if cap <= 1:
            return 1, f"{ENV_WORKERS}={raw}"
    if not hasattr(os, "fork") or not hasattr(os, "sched_getaffinity"):
        return 1, "no fork/sched_getaffinity on this platform"
    cpus = len(os.sched_getaffinity(0))
    if cpus < 2:
        return 1, "one usable CPU"
    if other_threads():
        return 1, "other threads are alive (fork is unsafe)"
    return (min(cpus, cap) if cap else cpus), ""


def other_threads() -> bool:
    """Whether a thread besides this one runs, or this is not the main thread: a fork copies
    the locks other threads hold, held forever in the child."""
    return (
        threading.active_count() != 1 or threading.current_thread() is not threading.main_thread()
    )


def flushed() -> bool:
    """Flush Python's buffered stdout and stderr, so no buffer is copied into a child."""
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
    except (OSError, ValueError):
        return False
    return True


class Child:
    """One forked process whose answer (bytes) comes back through a pipe."""

    def __init__(self, pid: int, fd: int) -> None:
        self.pid = pid
        self.fd = fd
        self.reaped = pid < 0

    @classmethod
    def start(cls, body: Callable[[], bytes], mask: Iterable[int]) -> Child:
        """Fork a child that sends ``body()`` (``mask``: the signal mask the child restores
        once its signal handlers are reset). A child that cannot be forked has pid -1 and
        answers None: the caller does its work itself."""
        try:
            read_fd, write_fd = os.pipe()
        except OSError:  # no file descriptor left
            return cls(-1, -1)
        try:
            pid = os.fork()
        except OSError:  # no process left (EAGAIN, ENOMEM)
            os.close(read_fd)
            os.close(write_fd)
            return cls(-1, -1)
        if pid == 0:  # the child: never returns
            _child(body, read_fd, write_fd, mask)
        os.close(write_fd)
        return cls(pid, read_fd)

    def result(self, deadline: float) -> bytes | None:
        """The child's whole answer, or None when it failed, exited other than 0, or ran past
        ``deadline`` (``time.monotonic``); the child is reaped here, or by :meth:`close` when
        it is still exiting after its answer."""
        if self.pid < 0:
            return None
        data = read_all(self.fd, deadline)
        if data is None:
            self.close()
            return None
        os.close(self.fd)
        self.fd = -1
        try:  # end of file: the child is in os._exit (no other process holds the write end)
            pid, status = os.waitpid(self.pid, os.WNOHANG)
        except ChildProcessError:
            # Reaped by the kernel already (SIGCHLD ignored, as some runners leave it): the
            # exit status is gone, and the answer's own integrity decides (callers check it).
            self.reaped = True
            return data
        if pid == 0:
            # Still exiting: it closed its end after its whole answer and is in os._exit,
            # the kernel unmapping its copy of the heap (~5 ms at 100 workspaces, tens of ms
            # at 1,000). Not waited for here: close() reaps it once the caller has used the
            # answer, whose own integrity decides, as when the kernel reaped it.
            return data
        self.reaped = True
        return data if os.waitstatus_to_exitcode(status) == 0 else None

    def close(self) -> None:
        """Kill the child unless it has ended, and reap it; close the pipe."""
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
        if self.reaped:
            return
        try:
            done, _status = os.waitpid(self.pid, os.WNOHANG)
            if done == 0:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass
        self.reaped = True


def _child(body: Callable[[], bytes], read_fd: int, write_fd: int, mask: Iterable[int]) -> None:
    """The child's whole life: compute, send, ``os._exit`` (no atexit, no buffer flush)."""
    code = 70
    try:
        # Ctrl-C reaches the whole process group: the child just ends, the parent reports.
        for signum in STOPS:
            signal.signal(signum, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        gc.disable()  # a collection would touch, and so copy, every page of the shared heap
        os.close(read_fd)
        sink = os.open(os.devnull, os.O_WRONLY)
        os.dup2(sink, 1)
        os.dup2(sink, 2)
        view = memoryview(body())
        while view:
            view = view[os.write(write_fd, view) :]
        # End of file now, not once exit has unmapped this process's memory (the kernel closes
        # files after that): the parent takes the answer while this process tears down.
        os.close(write_fd)
        code = 0
    except BaseException:  # anything at all: the parent does this work itself
        pass
    finally:
        os._exit(code)


def read_all(fd: int, deadline: float) -> bytes | None:
    """Everything until end of file, or None past ``deadline``."""
    import select

    chunks: list[bytes] = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            return None
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
