"""Template and parameter inputs go through the one bounded reader: a FIFO or a device is
refused at once (exit 2), never read (red-team finding: ``--template FIFO`` hung)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from amlguard.errors import EXIT_USAGE
from tests.conftest import ROOT

TEMPLATE = ROOT / "examples" / "estates" / "compliant.json"


@pytest.mark.parametrize("flag", ["--template", "--parameters"])
@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_a_non_regular_template_input_is_refused_at_once(
    tmp_path: Path, flag: str, kind: str
) -> None:
    if kind == "fifo":
        target = tmp_path / "input.json"
        os.mkfifo(target)
    else:
        target = Path("/dev/zero")
    args = (
        ["--template", str(target)]
        if flag == "--template"
        else ["--template", str(TEMPLATE), "--parameters", str(target)]
    )
    done = subprocess.run(
        [sys.executable, "-m", "amlguard", "check", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert done.returncode == EXIT_USAGE, done.stderr
    assert "not a regular file" in done.stderr and str(target) in done.stderr
    assert "Traceback" not in done.stderr
