"""Helpers of the parallel-evaluation tests: a scan's JSON report, serial or in two processes."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

import pytest

from amlguard import app, forkchild
from amlguard.reports.interface import ReportOptions
from amlguard.scanner import parallel
from amlguard.scanner.model import Finding
from amlguard.settings import CheckSettings
from benchmarks.generate import estate, write

TODAY = dt.date(2026, 11, 26)


def force_parallel(
    monkeypatch: pytest.MonkeyPatch, warm: int = parallel.WARM_MAX, threads: bool = False
) -> None:
    """Fork for any work at all, on any machine (two CPUs claimed), with ``warm`` warm-ups.

    Unless ``threads``, the idle threads earlier tests of the suite leave behind (the emulator's
    server) do not keep it serial: they hold no lock the engine takes.
    """
    monkeypatch.delenv(parallel.ENV_WORKERS, raising=False)
    if not threads:
        monkeypatch.setattr(forkchild, "other_threads", lambda: False)
    monkeypatch.setattr(parallel, "MIN_COST", 1)
    monkeypatch.setattr(parallel, "WARM_MAX", warm)
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: {0, 1})


def report(snapshot: Path) -> tuple[str, list[Finding]]:
    """The full JSON report of ``check --snapshot`` (scan time fixed) and the findings."""
    result = app.prepare_scan(CheckSettings(snapshots=(snapshot,), today=TODAY)).result
    result.scan_time = "2026-01-01T00:00:00Z"
    return app.render(result, "json", ReportOptions()), result.findings


def serial_report(snapshot: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, list[Finding]]:
    """:func:`report` with ``AMLGUARD_WORKERS=1``."""
    with monkeypatch.context() as m:
        m.setenv(parallel.ENV_WORKERS, "1")
        out = report(snapshot)
    assert parallel.last.processes == 1
    return out


def generated(tmp: Path, n: int, seed: int, **options: Any) -> Path:
    """A ``benchmarks/generate.py`` estate of ``n`` instances written to a snapshot file."""
    path = tmp / f"estate-{n}-{seed}.json"
    write(estate(n, seed, **options), path)
    return path


def instances_in(text: str) -> int:
    """How many instances a JSON report judged."""
    return len(json.loads(text)["instances"])


def gone(pid: int) -> bool:
    """True when ``pid`` is no child of this process any more (reaped, no zombie)."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True
    return False
