"""The README's "Scheduled scans" walkthrough runs, in order, as written.

Its commands share one history, so they are run here as a sequence (tests/test_readme.py runs
each ``amlguard ...`` line on its own, which a stateful walkthrough cannot satisfy; these lines
start with ``AMLGUARD_HISTORY=`` and are left to this test).
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from amlguard.cli import cli
from tests.conftest import ROOT

_SECTION = re.search(
    r"^## Scheduled scans\n(.*?)(?=^## |\Z)",
    (ROOT / "README.md").read_text(encoding="utf-8"),
    re.M | re.S,
)


def _walkthrough() -> list[list[str]]:
    assert _SECTION, "README has no '## Scheduled scans' section"
    lines = [ln[4:] for ln in _SECTION.group(1).splitlines() if ln.startswith("    ")]
    return [shlex.split(ln) for ln in lines if ln.startswith("AMLGUARD_HISTORY=")]


def test_the_walkthrough_runs_in_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    commands = _walkthrough()
    assert len(commands) == 5
    monkeypatch.chdir(ROOT)
    env = {"AMLGUARD_HISTORY": str(tmp_path / "history.db")}
    runner = CliRunner()
    codes = []
    outputs = []
    for words in commands:
        assert words[0].startswith("AMLGUARD_HISTORY=") and words[1] == "amlguard"
        # Files go to the temporary directory, not into the repository.
        args = [re.sub(r"^(\w+):(?!/)(.+)$", rf"\1:{tmp_path}/\2", w) for w in words[2:]]
        result = runner.invoke(cli, args, env=env)
        codes.append(result.exit_code)
        outputs.append(result.stdout)
    assert codes == [0, 1, 0, 0, 0], outputs
    assert (tmp_path / "report.html").is_file()
    assert outputs[2].count(" demo") == 2  # two scans listed
    assert "### New failures (12)" in outputs[4]
    assert not (ROOT / "history.db").exists()
