"""``check --template``: a template is one more source of rows on the one run path."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from amlguard.cli import cli
from amlguard.errors import EXIT_FINDINGS, EXIT_USAGE

OWN = Path(__file__).resolve().parent / "data" / "own" / "blueprint"


def run(*args: str) -> object:
    return CliRunner().invoke(cli, list(args))


def test_check_template_reports_every_format_with_the_template_line(tmp_path: Path) -> None:
    sarif = tmp_path / "r.sarif"
    result = run(
        "check",
        "--template",
        str(OWN),
        "--parameter",
        "workspacePublicNetworkAccess=Enabled",
        "-f",
        "json",
        "-o",
        f"sarif:{sarif}",
    )
    assert result.exit_code == EXIT_FINDINGS, result.output  # type: ignore[attr-defined]
    doc = json.loads(result.stdout)  # type: ignore[attr-defined]
    assert doc["source"]["kind"] == "template"
    failing = [f for f in doc["findings"] if f["status"] == "fail"]
    assert failing and all(f["location"]["file"].endswith(".json") for f in failing)
    assert all(f["location"]["line"] > 1 for f in failing)
    results = json.loads(sarif.read_text())["runs"][0]["results"]
    regions = {r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in results}
    assert regions == {f["location"]["line"] for f in failing}


def test_fix_with_a_template_is_refused() -> None:
    result = run("check", "--template", str(OWN), "--fix")
    assert result.exit_code == EXIT_USAGE  # type: ignore[attr-defined]
    assert "fix templates in source" in result.stderr  # type: ignore[attr-defined]
