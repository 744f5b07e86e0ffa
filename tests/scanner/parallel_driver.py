"""``amlguard ARGS`` with the parallel evaluation forced on, for the process-level tests.

    python -m tests.scanner.parallel_driver MODE amlguard-args...

MODE: ``plain``; ``leak`` (the worker tries to write to stdout and stderr); ``slow-parent``
(this process judges its share slowly); ``slow-worker`` (the worker answers after 60 s). Each
worker's pid is written to stderr as ``WORKER <pid>`` once forked, ``REAPED <pid>`` once reaped.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence
from typing import Any

from amlguard.scanner import parallel
from amlguard.scanner.model import Finding
from amlguard.scanner.sources import snapshotahead


def _say(text: str) -> None:
    os.write(2, f"{text}\n".encode())


def main() -> None:
    mode, args = sys.argv[1], sys.argv[2:]
    parallel.MIN_COST = 1
    parallel.WARM_MAX = 0
    snapshotahead.AHEAD_MIN_BYTES = 0  # the snapshot verified in a forked process too
    os.sched_getaffinity = lambda _pid: {0, 1}  # type: ignore[assignment,unused-ignore]
    parent = os.getpid()
    start, close, result, run, encode = (
        parallel._Worker.start.__func__,  # type: ignore[attr-defined]
        parallel._Worker.close,
        parallel._Worker.result,
        parallel.Engine.run,
        parallel.encode,
    )

    def started(cls: Any, *a: Any) -> Any:
        worker = start(cls, *a)
        _say(f"WORKER {worker.pid}")
        return worker

    def closed(self: Any) -> None:
        was = self.reaped
        close(self)
        if not was:
            _say(f"REAPED {self.pid}")

    def resulted(self: Any, deadline: float, *more: Any) -> Any:  # a whole answer reaps it
        was = self.reaped
        got = result(self, deadline, *more)
        if not was and self.reaped:
            _say(f"REAPED {self.pid}")
        return got

    def slow_run(self: Any, instances: Any) -> list[Finding]:
        if mode == "slow-parent" and os.getpid() == parent and parallel.last.pids:
            time.sleep(60)
        return run(self, instances)

    def worker_encode(findings: Sequence[Finding]) -> bytes:
        if mode == "leak":
            print("LEAK-STDOUT")
            sys.stdout.flush()
            sys.stderr.write("LEAK-STDERR\n")
            sys.stderr.flush()
            os.write(1, b"LEAK-FD1\n")
        if mode == "slow-worker":
            time.sleep(60)
        return encode(findings)

    parallel._Worker.start = classmethod(started)  # type: ignore[method-assign,assignment]
    parallel._Worker.close = closed  # type: ignore[method-assign]
    parallel._Worker.result = resulted  # type: ignore[method-assign]
    parallel.Engine.run = slow_run  # type: ignore[method-assign]
    parallel.encode = worker_encode
    sys.stdout.write("PENDING-")  # buffered, unflushed: must reach stdout exactly once
    sys.argv = ["amlguard", *args]
    from amlguard.cli import main as amlguard

    amlguard()


if __name__ == "__main__":
    main()
