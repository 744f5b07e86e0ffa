"""``python -m amlguard`` keeps the cyclic GC off through the imports; the command decides."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT

# Runs amlguard/__main__.py as `python -m` does, reporting whether the GC runs when the
# command starts.
_SCRIPT = """
import gc, runpy, sys
sys.argv = ["amlguard", *sys.argv[1:]]
import amlguard.cli as cli
real = cli._run
def _run():
    print("GC", gc.isenabled(), flush=True)
    return real()
cli._run = _run
runpy.run_module("amlguard", run_name="__main__")
"""


@pytest.mark.parametrize(
    ("args", "enabled"),
    [
        (["check", "--snapshot", "examples/estates/compliant.json", "--format", "json"], False),
        (["policies", "list"], True),
        (["--version"], True),
        (["check", "--snapshot", "examples/estates/compliant.json", "--dry-run"], True),
    ],
)
def test_gc_is_on_for_every_command_but_a_plain_check(args: list[str], enabled: bool) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.stdout.splitlines()[0] == f"GC {enabled}"
