"""A stop during start-up or the first imports is a one-line 130/143 too (redteam10b #3): a CI
runner cancels a job with SIGTERM at any moment, and exit 1 would read as "failing findings"."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, ROOT

#: ways a process may end when stopped: its documented code, or killed by the signal itself
#: before Python could install a handler (the shell shows 128 + the signal's number)
_ENDS = {signal.SIGINT: {130, -signal.SIGINT}, signal.SIGTERM: {143, -signal.SIGTERM}}


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_stop_at_any_moment_of_start_up_is_one_line_and_its_code(
    signum: int, tmp_path: Path
) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    args = [sys.executable, "-m", "amlguard", "check", "--snapshot", str(EXAMPLES / "drifted.json")]
    seen = set()
    for step in range(40):  # every 12.5 ms of the first half second
        delay = step / 80
        proc = subprocess.Popen(
            args, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        time.sleep(delay)
        proc.send_signal(signum)
        out, err = proc.communicate(timeout=120)
        if proc.returncode == 1 and "FAILED" in out:
            continue  # the check finished before the signal: nothing to judge
        if err.startswith("Fatal Python error: init_"):
            continue  # Ctrl-C inside CPython's own initialisation, before any code of ours runs
        assert proc.returncode in _ENDS[signum], (delay, proc.returncode, err)
        assert "Traceback" not in err, (delay, err)
        assert err.count("\n") <= 1, (delay, err)
        seen.add(proc.returncode)
    assert seen, "every run finished before the signal: the sweep proved nothing"
