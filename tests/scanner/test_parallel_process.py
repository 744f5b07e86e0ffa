"""The parallel evaluation inside a real ``amlguard check`` process: output and Ctrl-C."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.scanner.parallel_helpers import generated


@pytest.fixture(scope="module")
def estate(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generated(tmp_path_factory.mktemp("estate"), 8, 21)


def _start(
    mode: str, estate: Path, *extra: str, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    full = {**os.environ, "PYTHONPATH": str(ROOT)}
    full.pop("AMLGUARD_WORKERS", None)
    full.pop("AMLGUARD_DEBUG", None)
    full.update(env or {})
    argv = ["check", "--snapshot", str(estate), "--format", "json", *extra]
    return subprocess.Popen(
        [sys.executable, "-m", "tests.scanner.parallel_driver", mode, *argv],
        cwd=ROOT,
        env=full,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group, as a shell gives a command
    )


def _stderr_until(proc: subprocess.Popen[bytes], marker: bytes, timeout: float = 60) -> bytes:
    assert proc.stderr is not None
    fd = proc.stderr.fileno()
    seen = b""
    deadline = time.monotonic() + timeout
    while marker not in seen:
        left = deadline - time.monotonic()
        assert left > 0, f"no {marker!r} on stderr: {seen!r}"
        if select.select([fd], [], [], left)[0]:
            chunk = os.read(fd, 4096)
            assert chunk, f"stderr closed before {marker!r}: {seen!r}"
            seen += chunk
    return seen


def _worker_pid(text: bytes) -> int:
    line = next(ln for ln in text.decode().splitlines() if ln.startswith("WORKER "))
    return int(line.split()[1])


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_worker_writes_nothing_and_buffered_output_appears_once(estate: Path) -> None:
    proc = _start("leak", estate)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 1, err.decode()  # findings
    assert b"LEAK" not in out
    assert b"LEAK" not in err
    assert out.count(b"PENDING-") == 1
    assert out.startswith(b"PENDING-")
    report = json.loads(out[len(b"PENDING-") :])
    assert report["summary"]
    pid = _worker_pid(err)
    assert f"REAPED {pid}".encode() in err
    assert b"Traceback" not in err


@pytest.mark.parametrize(
    ("mode", "group"),
    [
        ("slow-parent", True),  # Ctrl-C: the whole process group, while this process judges
        ("slow-worker", True),  # Ctrl-C while this process waits for the worker
        ("slow-worker", False),  # SIGINT to amlguard alone: the worker is killed by it
    ],
    ids=["ctrl-c-judging", "ctrl-c-waiting", "sigint-parent-only"],
)
def test_interrupt_exits_130_without_traceback(mode: str, group: bool, estate: Path) -> None:
    proc = _start(mode, estate)
    try:
        seen = _stderr_until(proc, b"WORKER ")
        pid = _worker_pid(seen)
        time.sleep(0.5)  # well inside the slow part
        if group:
            os.killpg(proc.pid, signal.SIGINT)
        else:
            os.kill(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    err = seen + err
    assert proc.returncode == 130, err.decode()
    assert b"amlguard: interrupted" in err
    assert b"Traceback" not in err
    assert f"REAPED {pid}".encode() in err
    assert not _alive(pid)
    assert b"LEAK" not in out


def test_bad_worker_count_is_exit_2_naming_it() -> None:
    estate = ROOT / "examples" / "estates" / "drifted.json"
    done = subprocess.run(
        [sys.executable, "-m", "amlguard", "check", "--snapshot", str(estate)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "AMLGUARD_WORKERS": "two"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "AMLGUARD_WORKERS='two'" in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""


def test_fix_plan_is_the_serial_one(tmp_path: Path) -> None:
    """``check --fix`` plans from the findings' offenders and ids: a worker's findings (equal
    values, not the inventory's objects) plan the same actions."""
    estate = generated(tmp_path, 8, 31, drift=1.0)
    runs = []
    for env in ({"AMLGUARD_WORKERS": "1"}, {}):
        proc = _start("plain", estate, "--fix", env=env)
        out, err = proc.communicate(timeout=180)
        assert proc.returncode in (0, 1), err.decode()
        lines = err.decode().splitlines()
        workers = [ln for ln in lines if ln.startswith(("WORKER ", "REAPED "))]
        plan = [ln for ln in lines if not ln.startswith(("WORKER ", "REAPED "))]
        report = json.loads(out[len(b"PENDING-") :])
        report.pop("scan_time")
        runs.append((report, plan, workers))
    (serial, serial_plan, none), (report, plan, workers) = runs
    assert none == []
    assert len(workers) == 2  # forked and reaped
    assert any(ln.startswith("Plan: ") for ln in plan)
    assert any(ln.startswith("# A0") for ln in plan)  # actions planned from offenders
    assert plan == serial_plan
    assert report == serial
