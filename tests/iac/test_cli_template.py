"""``amlguard template rows``: the rows file, exit codes, and no secret in any output."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from amlguard.cli import cli
from amlguard.errors import EXIT_OK, EXIT_USAGE
from amlguard.scanner.sources.snapshot import load_snapshot
from tests.iac.helpers import DATA

STUDIO = DATA / "ai-studio-secure"


def test_rows_file_is_a_snapshot_with_unknowns(tmp_path: Path) -> None:
    out = tmp_path / "rows.json"
    result = CliRunner().invoke(
        cli,
        [
            "template",
            "rows",
            "--template",
            str(STUDIO / "azuredeploy.json"),
            "--parameters",
            str(STUDIO / "azuredeploy.parameters.json"),
            "--deployment-subscription",
            "00000000-1111-2222-3333-444444444444",
            "--deployment-resource-group",
            "rg-ai",
            "--deployment-location",
            "swedencentral",
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == EXIT_OK, result.output
    assert "wrote 79 row(s)" in result.stderr
    text = out.read_text()
    assert "Trustno1234!" not in text and "Trustno1234!" not in result.output
    doc = json.loads(text)
    assert doc["amlguard_snapshot"]["source"] == "template"
    assert all(r["subscriptionId"] == "00000000-1111-2222-3333-444444444444" for r in doc["data"])
    secret = [u for u in doc["unknowns"] if u["secret"]]
    assert secret and all(u["path"] for u in secret)
    assert len(load_snapshot(out).rows) == 79  # 'check --snapshot' reads it


def test_missing_parameter_and_bad_flag_exit_2() -> None:
    result = CliRunner().invoke(
        cli, ["template", "rows", "--template", str(DATA / "avm-ml-workspace" / "main.json")]
    )
    assert result.exit_code == EXIT_USAGE
    assert "required parameter(s) without a value: name, sku" in result.stderr
    result = CliRunner().invoke(
        cli,
        [
            "template",
            "rows",
            "--template",
            str(STUDIO / "azuredeploy.json"),
            "--parameter",
            "novalue",
        ],
    )
    assert result.exit_code == EXIT_USAGE and "expected NAME=VALUE" in result.stderr
    result = CliRunner().invoke(cli, ["template", "rows", "--template", "nope.json"])
    assert result.exit_code == EXIT_USAGE and "nope.json: template not found" in result.stderr
