"""A worker that fails in any way costs time, never a finding; the switches that keep it serial."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from amlguard.errors import InputError
from amlguard.scanner import findingwire, parallel
from amlguard.scanner.model import Finding
from tests.scanner.parallel_helpers import force_parallel, generated, gone, report, serial_report


def _crash(findings: Sequence[Finding]) -> bytes:
    raise RuntimeError("worker bug")


def _killed(findings: Sequence[Finding]) -> bytes:
    os.kill(os.getpid(), signal.SIGKILL)
    raise AssertionError("unreachable")


def _exits_quietly(findings: Sequence[Finding]) -> bytes:
    os._exit(0)  # success status, no answer at all


def _truncated(findings: Sequence[Finding]) -> bytes:
    data = findingwire.encode(findings)
    return data[: len(data) // 2]


def _garbage(findings: Sequence[Finding]) -> bytes:
    return os.urandom(4096)


def _one_lost(findings: Sequence[Finding]) -> bytes:
    """A whole, checksummed message whose header counts one finding more than it holds."""
    data = findingwire.encode(findings[:-1])
    magic, codec, count, length, crc = findingwire._HEADER.unpack_from(data)
    header = findingwire._HEADER.pack(magic, codec, count + 1, length, crc)
    return header + data[findingwire._HEADER.size :]


def _wrong_order(findings: Sequence[Finding]) -> bytes:
    return findingwire.encode(list(reversed(findings)))


def _hangs(findings: Sequence[Finding]) -> bytes:
    time.sleep(60)
    return findingwire.encode(findings)


FAILURES: dict[str, Callable[[Sequence[Finding]], bytes]] = {
    "crash": _crash,
    "killed": _killed,
    "exit-without-answer": _exits_quietly,
    "truncated": _truncated,
    "garbage": _garbage,
    "one-lost": _one_lost,
    "wrong-order": _wrong_order,
    "hangs": _hangs,
}


@pytest.fixture(scope="module")
def estate(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generated(tmp_path_factory.mktemp("estate"), 8, 11, drift=0.8)


@pytest.mark.parametrize("failure", list(FAILURES))
def test_failed_worker_share_is_judged_here(
    failure: str, estate: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    serial_text, serial_findings = serial_report(estate, monkeypatch)
    force_parallel(monkeypatch, warm=0)
    monkeypatch.setattr(parallel, "encode", FAILURES[failure])  # what the forked worker calls
    monkeypatch.setattr(parallel, "MIN_TIMEOUT", 1.0)
    monkeypatch.setattr(parallel, "TIMEOUT_FACTOR", 0.0)
    started = time.monotonic()
    text, findings = report(estate)
    assert parallel.last.processes == 2
    assert parallel.last.fallbacks == 1, parallel.describe()
    assert text == serial_text
    assert findings == serial_findings
    assert all(gone(pid) for pid in parallel.last.pids)
    assert time.monotonic() - started < 30  # the hung worker was given up on, not waited for


def test_forced_serial(estate: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    force_parallel(monkeypatch)
    for value in ("1", "0", " 1 "):
        monkeypatch.setenv(parallel.ENV_WORKERS, value)
        report(estate)
        assert parallel.last.processes == 1
        assert parallel.ENV_WORKERS in parallel.last.reason
    monkeypatch.setenv(parallel.ENV_WORKERS, "2")
    report(estate)
    assert parallel.last.processes == 2
    monkeypatch.setenv(parallel.ENV_WORKERS, "auto")
    report(estate)
    assert parallel.last.processes == 2


@pytest.mark.parametrize("value", ["two", "-1", "1.5", "0x2"])
def test_bad_worker_count_is_an_input_error(
    value: str, estate: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(parallel.ENV_WORKERS, value)
    with pytest.raises(InputError, match=parallel.ENV_WORKERS):
        report(estate)


def test_threads_alive_means_serial(estate: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    force_parallel(monkeypatch, warm=0, threads=True)
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait, daemon=True)
    thread.start()
    try:
        text, _ = report(estate)
        assert parallel.last.processes == 1
        assert "threads" in parallel.last.reason
    finally:
        stop.set()
        thread.join()
    assert report(estate)[0] == text
    if threading.active_count() == 1:  # alone (other tests' idle threads may still be about)
        assert parallel.last.processes == 2  # and with the thread gone, a worker again


def test_one_cpu_means_serial(estate: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    force_parallel(monkeypatch, warm=0)
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: {0})
    report(estate)
    assert parallel.last.processes == 1
    assert parallel.last.reason == "one usable CPU"


def test_no_fork_means_serial(estate: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    force_parallel(monkeypatch, warm=0)
    monkeypatch.delattr(os, "fork")
    report(estate)
    assert parallel.last.processes == 1
    assert "fork" in parallel.last.reason


def test_interrupt_in_this_process_reaps_the_worker(
    estate: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C while this process judges its share: the interrupt propagates, the worker is
    killed and reaped before it does."""
    force_parallel(monkeypatch, warm=0)
    monkeypatch.setattr(parallel, "encode", _hangs)
    real_run = parallel.Engine.run
    calls = []

    def interrupted(self: parallel.Engine, instances: object) -> list[Finding]:
        calls.append(os.getpid())
        if parallel.last.pids and os.getpid() not in parallel.last.pids:
            raise KeyboardInterrupt
        return real_run(self, instances)  # type: ignore[arg-type]

    monkeypatch.setattr(parallel.Engine, "run", interrupted)
    with pytest.raises(KeyboardInterrupt):
        report(estate)
    assert parallel.last.pids
    assert all(gone(pid) for pid in parallel.last.pids)
    assert len(calls) == 1  # this process's share only: the worker's was never judged here


@pytest.mark.parametrize("call", ["fork", "pipe"])
def test_no_process_or_pipe_left_means_judged_here(
    call: str, estate: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    serial_text, _ = serial_report(estate, monkeypatch)
    force_parallel(monkeypatch, warm=0)

    def refused(*_args: object) -> int:
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(os, call, refused)
    text, _ = report(estate)
    assert parallel.last.fallbacks == 1, parallel.describe()
    assert parallel.last.pids == []
    assert parallel.last.processes == 1
    assert text == serial_text
