"""A snapshot's verification in a forked process, beside the scan that uses its rows.

Reading a large snapshot is orjson's parse (~0.4 s at 1,000 workspaces) and then proving that
parse is the strict reader's (:mod:`amlguard.jsonfast`'s re-dump) and every row sound
(:mod:`~amlguard.scanner.sources.snapshotrows`, ~0.37 s together): the proofs make no data,
they only say yes or no. So ``check`` forks a verifier right after reading the file's bytes
(before the parse: the child shares a small heap, and no page of the parsed rows is copied on
write), and judges orjson's reading of the same bytes while the verifier proves it.

Fail closed: the scan's result is used only when the verifier answers a whole ``ok``
(:meth:`Pending.passed`). Any other answer (a doubt, a bad row, a crash, a kill, a timeout, a
fork that could not be made) throws the scan away and the caller scans again the serial way,
which verifies first and words every error exactly as always. An exception during the scan
is re-raised only when the verifier passed the rows; otherwise the serial scan decides (a bad
row's message, not whatever the unchecked rows made the build trip on).
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import time
from collections.abc import Callable, Iterator

from amlguard.errors import InputError
from amlguard.forkchild import STOPS, Child, flushed, processes_allowed

#: Smaller files are verified in place: a fork (~2-5 ms) would cost more than half the proofs.
AHEAD_MIN_BYTES = 1 << 20

#: The verifier's answer is awaited at least this long, and longer for a large file (this rate
#: is ~25x slower than the proofs run on a busy 2-core machine): never a hang on a stopped one.
MIN_WAIT = 30.0
BYTES_PER_SECOND = 2_000_000

#: The verifier's whole answer when every proof held.
OK = b"ok"


class Pending:
    """A verifier at work on the bytes the scan read; ``serial``: what to scan from instead
    when it does not pass (a source that verifies before it returns rows)."""

    def __init__(self, child: Child, size: int, serial: object) -> None:
        self.child = child
        self.serial = serial
        self.wait = max(MIN_WAIT, size / BYTES_PER_SECOND)
        self.answer: bool | None = None

    def passed(self) -> bool:
        """True only when the verifier sent a whole ``ok`` and exited 0 (reaped either way)."""
        if self.answer is None:
            self.answer = self.child.result(time.monotonic() + self.wait) == OK
        return self.answer

    def refused(self) -> bool:
        """True when the verifier has already answered, and not ``ok`` (never waits): the
        scan of unproven rows can stop early, since its result would be thrown away."""
        if self.answer is None:
            fd = self.child.fd
            if fd < 0 or not select.select([fd], [], [], 0)[0]:
                return False
            self.passed()  # the answer is in (or the child ended): read it without waiting
        return self.answer is False

    def close(self) -> None:
        """Kill the verifier unless it has ended, and reap it (its answer is not wanted)."""
        if self.answer is None:
            self.answer = False
        self.child.close()


#: The verifier's niceness above this process: its answer is wanted only at the end, so where
#: the cores are short it yields to the scan. While the evaluation judges on every core (this
#: process and its worker) it is stopped outright (``forkchild.hold``), and continued once this
#: process waits for the worker (the join, the decode: ~0.2 s at 1,000 workspaces).
NICE = 5


def _verdict(prove: Callable[[], bool]) -> bytes:
    """The verifier's whole life in the child: run the proofs at a lower priority."""
    with contextlib.suppress(OSError):
        os.nice(NICE)
    return OK if prove() else b"no"


#: the most recent verifier this process forked (for benchmarks and tests)
last: Pending | None = None


@contextlib.contextmanager
def reaped() -> Iterator[None]:
    """Every verifier forked inside the block is killed (unless it has ended) and reaped when
    the block ends, however it ends (Ctrl-C or SIGTERM at any point included)."""
    global last
    last = None
    try:
        yield
    finally:
        if last is not None:
            last.close()


def start(prove: Callable[[], bool], size: int, serial: object) -> Pending | None:
    """A forked verifier running ``prove`` (True: every proof held), or None where forking is
    not allowed, not safe or does not pay (the caller verifies in place)."""
    global last
    last = None
    if size < AHEAD_MIN_BYTES or not flushed():
        return None
    try:
        if processes_allowed()[0] < 2:
            return None
    except InputError:  # a bad AMLGUARD_WORKERS: the file's own errors come first, as serially
        return None
    # No Ctrl-C between the fork and the verifier's registration in ``last`` (which
    # :func:`reaped` closes): a stop that arrives meanwhile is delivered once it is registered.
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, STOPS)
    try:
        # It yields to the evaluation (stopped while it judges on every core): its answer is
        # wanted only once the evaluation is done.
        child = Child.start(lambda: _verdict(prove), blocked, yielding=True)
        if child.pid >= 0:
            last = Pending(child, size, serial)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
    return last
