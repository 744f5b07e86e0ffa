"""A verifier beside the scan waits (stopped) while the evaluation judges on every core, and
never outlives its parent; a worker's answer is used while its exit tears its heap down, and
counts only once it exited 0."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from amlguard import app, forkchild
from amlguard.reports import json_lines
from amlguard.scanner import parallel
from amlguard.scanner.engine import Engine
from amlguard.scanner.sources import snapshot, snapshotahead
from amlguard.settings import CheckSettings
from amlguard.settingtypes import Outputs, OutputTarget
from tests.scanner.parallel_helpers import TODAY, force_parallel, generated, gone, serial_report

pytest.importorskip("orjson")
if not sys.platform.startswith("linux"):
    pytest.skip("reads process states from /proc", allow_module_level=True)

JSON_OUT = Outputs(stdout_format="json", targets=(OutputTarget("json", None),))


def _state(pid: int) -> str:
    """The process's state letter (R, S, T stopped, Z zombie...), '' when there is none."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return ""


def _settle(pid: int, want: str, within: float = 5.0) -> str:
    """The state of ``pid`` once it is ``want`` (or the last one seen after ``within`` s)."""
    end = time.monotonic() + within
    while True:
        state = _state(pid)
        if state in want or time.monotonic() > end:
            return state
        time.sleep(0.01)


def _sleeps_then(answer: bytes, seconds: float) -> Any:
    def body() -> bytes:
        time.sleep(seconds)
        return answer

    return body


@pytest.fixture(autouse=True)
def _nothing_held() -> Any:
    yield
    forkchild.release()
    forkchild._yielding.clear()


def test_a_yielding_child_is_stopped_while_held_and_answers_after() -> None:
    child = forkchild.Child.start(_sleeps_then(b"ok", 0.3), (), yielding=True)
    try:
        forkchild.hold()
        assert _settle(child.pid, "T") == "T"
        time.sleep(0.5)  # it would have answered by now, had it run
        assert _state(child.pid) == "T"
        forkchild.release()
        assert child.result(time.monotonic() + 30) == b"ok"
    finally:
        child.close()
    assert child.reaped and gone(child.pid)
    assert child.pid not in forkchild._yielding  # never signalled again: the pid may be reused


def test_waiting_for_a_held_childs_answer_continues_it() -> None:
    child = forkchild.Child.start(_sleeps_then(b"ok", 0.05), (), yielding=True)
    try:
        forkchild.hold()
        assert _settle(child.pid, "T") == "T"
        began = time.monotonic()
        assert child.result(time.monotonic() + 30) == b"ok"  # no release(): answer() sends it
        assert time.monotonic() - began < 20
    finally:
        child.close()


def test_a_child_forked_while_held_is_stopped_too() -> None:
    forkchild.hold()
    child = forkchild.Child.start(_sleeps_then(b"ok", 0.01), (), yielding=True)
    try:
        assert _settle(child.pid, "T") == "T"
    finally:
        forkchild.release()
        assert child.result(time.monotonic() + 30) == b"ok"


def test_other_children_never_stop() -> None:
    child = forkchild.Child.start(_sleeps_then(b"done", 0.3), ())
    try:
        forkchild.hold()
        assert _settle(child.pid, "TZ", within=2.0) != "T"
        assert child.result(time.monotonic() + 30) == b"done"
    finally:
        child.close()


def test_a_held_child_dies_with_its_parent(tmp_path: Path) -> None:
    """The parent killed outright (no cleanup runs) while its verifier is stopped: the kernel
    kills the verifier too (it would stay stopped forever, holding its memory)."""
    script = (
        "import os, signal, sys, time\n"
        "from amlguard import forkchild\n"
        "def body():\n"
        "    time.sleep(120)\n"
        "    return b'ok'\n"
        "child = forkchild.Child.start(body, (), yielding=True)\n"
        "time.sleep(0.5)\n"  # the child has set its death signal
        "forkchild.hold()\n"
        "print(child.pid, flush=True)\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == -signal.SIGKILL
    pid = int(done.stdout.split()[0])
    assert _settle(pid, "Z", within=10.0) in ("", "Z")  # gone, or dead awaiting its reaper


def _estate(tmp_path: Path) -> Path:
    return generated(tmp_path, 12, 21, drift=0.6)


def test_the_verifier_is_stopped_while_the_check_judges_its_share(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _estate(tmp_path)
    serial_text, serial_findings = serial_report(path, monkeypatch)
    force_parallel(monkeypatch, warm=1)
    monkeypatch.setattr(snapshotahead, "AHEAD_MIN_BYTES", 0)
    real_proven, real_run = snapshot._proven, Engine.run
    parent = os.getpid()
    seen: list[str] = []

    def slow_proof(raw: bytes, where: Path) -> bool:
        time.sleep(1.0)  # still at work when the evaluation forks its worker
        return real_proven(raw, where)

    def watched(self: Engine, instances: Any) -> Any:
        pending = snapshotahead.last
        if os.getpid() == parent and parallel.last.pids and pending is not None:
            seen.append(_settle(pending.child.pid, "T", within=2.0))
        return real_run(self, instances)

    monkeypatch.setattr(snapshot, "_proven", slow_proof)
    monkeypatch.setattr(Engine, "run", watched)
    settings = CheckSettings(snapshots=(path,), today=TODAY, outputs=JSON_OUT)
    result = app.prepare_scan(settings).result
    result.scan_time = "2026-01-01T00:00:00Z"
    assert parallel.last.processes == 2
    assert seen == ["T"]  # stopped while this process judged its share
    pending = snapshotahead.last
    assert pending is not None and pending.answer is True  # continued, and it passed
    assert pending.child.reaped and gone(pending.child.pid)
    assert app.render(result, "json", app.ReportOptions()) == serial_text
    assert result.findings == serial_findings


def test_a_worker_that_answers_but_does_not_exit_0_is_judged_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its whole answer is decoded and its lines written while it exits; then its exit status
    says it failed: its share is judged here and the lines written for it are dropped."""
    path = _estate(tmp_path)
    serial_text, serial_findings = serial_report(path, monkeypatch)
    force_parallel(monkeypatch, warm=1)

    def failed(self: forkchild.Child) -> bool:  # the worker exited 70 after its answer, say
        self.close()
        return False

    monkeypatch.setattr(forkchild.Child, "exited_ok", failed)
    settings = CheckSettings(snapshots=(path,), today=TODAY, outputs=JSON_OUT)
    result = app.prepare_scan(settings).result  # small file: verified in place
    result.scan_time = "2026-01-01T00:00:00Z"
    assert parallel.last.processes == 2 and parallel.last.fallbacks == 1
    kept = json_lines._ahead
    assert kept is not None and 0 < kept.count < len(result.findings)  # this process's only
    assert app.render(result, "json", app.ReportOptions()) == serial_text
    assert result.findings == serial_findings
    assert all(gone(pid) for pid in parallel.last.pids)


def test_the_workers_lines_are_written_as_its_answer_comes_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _estate(tmp_path)
    serial_text, _ = serial_report(path, monkeypatch)
    force_parallel(monkeypatch, warm=1)
    settings = CheckSettings(snapshots=(path,), today=TODAY, outputs=JSON_OUT)
    result = app.prepare_scan(settings).result
    result.scan_time = "2026-01-01T00:00:00Z"
    kept = json_lines._ahead
    assert kept is not None and kept.count == len(result.findings)
    text = app.render(result, "json", app.ReportOptions())
    assert text == serial_text
    assert json.loads(text)["findings"][-1]["rule_id"] == result.findings[-1].rule_id
