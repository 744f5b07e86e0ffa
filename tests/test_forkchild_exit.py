"""A forked child's answer is taken when it is whole, not once the child's exit is over."""

from __future__ import annotations

import os
import signal
import time

import pytest

from amlguard import forkchild
from tests.scanner.parallel_helpers import gone

SLOW_EXIT = 1.5  # seconds the child's exit takes after its answer (a large heap unmapped)


def _slow_exit(real: object) -> object:
    def exit_slowly(code: int) -> None:
        time.sleep(SLOW_EXIT)
        real(code)  # type: ignore[operator]

    return exit_slowly


def test_the_answer_arrives_before_the_childs_exit_ends(monkeypatch: pytest.MonkeyPatch) -> None:
    # The child inherits the patched os._exit: its exit takes SLOW_EXIT after the answer.
    monkeypatch.setattr(os, "_exit", _slow_exit(os._exit))
    child = forkchild.Child.start(lambda: b"whole answer", set())
    assert child.pid > 0
    started = time.monotonic()
    assert child.result(started + 30) == b"whole answer"
    assert time.monotonic() - started < SLOW_EXIT - 0.5  # not held up by the exit
    child.close()  # reaps it, waiting for the exit to end
    assert child.reaped and gone(child.pid)


def test_a_child_that_ended_is_reaped_with_its_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    child = forkchild.Child.start(lambda: b"ok", set())
    time.sleep(0.5)  # long ended
    assert child.result(time.monotonic() + 30) == b"ok"
    assert child.reaped and gone(child.pid)


def test_a_child_killed_before_its_answer_gives_none_or_nothing() -> None:
    """Killed before it wrote: None once the kill's status is seen, else the empty answer the
    callers' integrity checks refuse; never a hang, and reaped."""

    def body() -> bytes:
        os.kill(os.getpid(), signal.SIGKILL)
        return b"ok"

    child = forkchild.Child.start(body, set())
    assert child.result(time.monotonic() + 30) in (None, b"")
    child.close()
    assert child.reaped and gone(child.pid)
