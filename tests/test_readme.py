"""The README tells the truth: its rule table, its two commands, and every amlguard example."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from amlguard.cli import cli
from amlguard.errors import EXIT_FINDINGS
from amlguard.scanner.rules import load_pack
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
# pip flags that change only what pip prints, not what it installs.
_PIP_OUTPUT_FLAGS = {"-q", "--quiet", "--disable-pip-version-check", "--no-color"}


def _section(title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", README, re.M | re.S)
    assert match, f"README has no '## {title}' section"
    return match.group(1)


def _code_lines(text: str) -> list[str]:
    """The lines of the indented (4-space) code blocks of a piece of Markdown."""
    return [ln[4:] for ln in text.splitlines() if ln.startswith("    ") and ln.strip()]


def _table(text: str) -> list[list[str]]:
    rows = [ln for ln in text.splitlines() if ln.startswith("|")]
    cells = [[c.strip() for c in ln.strip().strip("|").split("|")] for ln in rows]
    return [c for c in cells[2:]]  # without the header and the --- line


def test_rule_table_matches_the_rule_pack() -> None:
    table = _table(_section("Rules"))
    expected = [
        [r.id, r.name, r.severity.label, "auto" if r.fixable else "manual", r.title]
        for r in load_pack().rules
    ]
    assert table == expected


def _fresh_machine_commands() -> list[str]:
    lines = _code_lines(_section("Two commands on a fresh machine"))
    assert len(lines) == 2, lines
    return lines


def _normalised(command: str) -> list[str]:
    return [w for w in shlex.split(command) if w not in _PIP_OUTPUT_FLAGS]


def test_ci_runs_exactly_the_readme_test_command() -> None:
    readme_test = _fresh_machine_commands()[1]
    assert "pytest" in readme_test and ".[test]" in readme_test
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    runs = [ln.strip() for ln in ci.splitlines() if "pytest" in ln and not ln.startswith("#")]
    assert len(runs) == 1, runs
    assert _normalised(runs[0]) == _normalised(readme_test)


def test_readme_demo_command_runs_the_drifted_example(monkeypatch: pytest.MonkeyPatch) -> None:
    install, _, demo = _fresh_machine_commands()[0].partition(" && ")
    assert shlex.split(install) == ["python3", "-m", "pip", "install", "."]
    words = shlex.split(demo)
    assert words[:3] == ["amlguard", "check", "--snapshot"]
    assert (ROOT / words[3]).is_file()
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(cli, words[1:])
    assert result.exit_code == EXIT_FINDINGS
    assert "FAILED:" in result.stdout


def _examples() -> list[str]:
    out = []
    for line in _code_lines(README):
        if not line.startswith("amlguard ") or "[" in line.split(" ", 2)[1]:
            continue
        # Only the examples that run on what the repository ships (live scans need Azure).
        if "examples/" in line or line.startswith(("amlguard policies", "amlguard --")):
            out.append(line.split(" > ")[0].split(" | ")[0].split("  #")[0])
    return out


def test_readme_shows_amlguard_examples() -> None:
    assert len(_examples()) >= 6


@pytest.mark.parametrize("command", _examples())
def test_every_readme_example_runs(
    command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    words = shlex.split(command)[1:]
    # Reports go to a temporary directory, not into the repository.
    words = [re.sub(r"^(\w+):(?!/)(.+)$", rf"\1:{tmp_path}/\2", w) for w in words]
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(cli, words)
    assert result.exit_code in (0, 1), (command, result.output)
    assert result.stdout
