"""A forked child process that computes some bytes and sends them back through a pipe.

What the parallel evaluation's workers (:mod:`amlguard.scanner.parallel`) and the snapshot's
verifier (:mod:`amlguard.scanner.sources.snapshotahead`) share. The child never writes to
stdout or stderr (both go to ``/dev/null``), never collects garbage (a collection would touch,
and so copy, every page of the shared heap), and ends with ``os._exit`` (no atexit, no buffer
flush): exit 0 after its whole answer is written and its end of the pipe closed, 70 on anything
at all. The parent reads the answer until end of file within a deadline; anything short of that
is ``None`` and the caller does the work itself (fail closed). The child closes the pipe itself
before it exits, so the answer is in as soon as it is written: the kernel's teardown of a large
child (~50-130 ms for a 300 MB heap) runs while the parent uses the answer, and only then does
the parent wait for the exit status (:meth:`Child.answer`, :meth:`Child.exited_ok`). Every child
is reaped by :meth:`Child.close`, killed first when it has not ended.

A child may *yield* to the evaluation (:func:`yields`): while this process and its evaluation
workers judge on every core (:func:`hold` .. :func:`release`), it is stopped (``SIGSTOP``), and
continued once this process waits or is done; its answer is wanted only afterwards.

Forking is used only where it is allowed and safe (:func:`processes_allowed`): POSIX ``fork``
and ``sched_getaffinity``, two or more usable CPUs, no other thread alive (a fork copies the
locks other threads hold), and ``AMLGUARD_WORKERS`` not ``1``.
"""

from __future__ import annotations

import contextlib
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

#: The children that yield to the evaluation (:func:`yields`), and whether they are stopped now
_yielding: set[int] = set()
_held = False


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
    def start(cls, body: Callable[[], bytes], mask: Iterable[int], yielding: bool = False) -> Child:
        """Fork a child that sends ``body()`` (``mask``: the signal mask the child restores
        once its signal handlers are reset). A child that cannot be forked has pid -1 and
        answers None: the caller does its work itself. ``yielding``: the child yields to the
        evaluation (:func:`yields`); it is killed when this process dies, stopped or not."""
        parent = os.getpid()
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
            if yielding:
                body = _orphan_safe(body, parent)
            _child(body, read_fd, write_fd, mask)
        os.close(write_fd)
        if yielding:
            yields(pid)
        return cls(pid, read_fd)

    def result(self, deadline: float) -> bytes | None:
        """The child's whole answer, or None when it failed, did not exit 0, or ran past
        ``deadline`` (``time.monotonic``); the child is reaped either way."""
        data = self.answer(deadline)
        return data if data is not None and self.exited_ok() else None

    def answer(self, deadline: float) -> bytes | None:
        """Everything the child wrote until it closed the pipe (None when it ran past
        ``deadline``: it is killed and reaped). Whether it then exited 0 is
        :meth:`exited_ok`, which the caller must ask before it uses the answer."""
        if self.pid < 0:
            return None
        release(self.pid)  # a child stopped meanwhile could never answer
        data = read_all(self.fd, deadline)
        if data is None:
            self.close()
            return None
        os.close(self.fd)
        self.fd = -1
        return data

    def exited_ok(self) -> bool:
        """Once :meth:`answer` is in: wait for the child's exit (it closed the pipe just
        before ``os._exit``) and reap it; True when it exited 0."""
        if self.reaped:
            return False
        try:
            _pid, status = os.waitpid(self.pid, 0)
        except ChildProcessError:
            # Reaped by the kernel already (SIGCHLD ignored, as some runners leave it): the
            # exit status is gone, and the answer's own integrity decides (callers check it).
            self._reaped()
            return True
        self._reaped()
        return os.waitstatus_to_exitcode(status) == 0

    def _reaped(self) -> None:
        self.reaped = True
        _yielding.discard(self.pid)  # never signal a pid that may be another process's now

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
                os.kill(self.pid, signal.SIGKILL)  # stopped or not
                os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass
        self._reaped()


def yields(pid: int) -> None:
    """Let the child ``pid`` be stopped while the evaluation judges on every core (its answer
    is wanted only afterwards): :func:`hold` stops it, :func:`release` continues it."""
    if pid > 0:
        _yielding.add(pid)
        if _held:
            _signal(pid, signal.SIGSTOP)


def hold() -> None:
    """Stop every child that yields (:func:`yields`) until :func:`release`: this process and
    its evaluation workers have the cores to themselves."""
    global _held
    _held = True
    for pid in _yielding:
        _signal(pid, signal.SIGSTOP)


def release(pid: int | None = None) -> None:
    """Continue the yielding children :func:`hold` stopped (or only ``pid``: its answer is
    awaited now, and it is not stopped again)."""
    global _held
    if pid is not None:
        if pid in _yielding:
            _yielding.discard(pid)
            _signal(pid, signal.SIGCONT)
        return
    if _held:
        _held = False
        for child in _yielding:
            _signal(child, signal.SIGCONT)


def _signal(pid: int, signum: int) -> None:
    """Send ``signum`` to a child of this process not yet reaped (an exited one ignores it)."""
    with contextlib.suppress(OSError):  # gone already: nothing to stop or continue
        os.kill(pid, signum)


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
        os.close(write_fd)  # the answer is whole: the parent reads it during this exit
        code = 0
    except BaseException:  # anything at all: the parent does this work itself
        pass
    finally:
        os._exit(code)


def _orphan_safe(body: Callable[[], bytes], parent: int) -> Callable[[], bytes]:
    """``body``, in a child that the kernel kills when ``parent`` dies (``PR_SET_PDEATHSIG``):
    a child stopped while it yields would otherwise outlive a parent killed meanwhile."""

    def run() -> bytes:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG)")
        if os.getppid() != parent:  # the parent died before the line above
            raise ProcessLookupError(parent)
        return body()

    return run


#: prctl(2)'s option: the signal this process gets when its parent dies
_PR_SET_PDEATHSIG = 1


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
