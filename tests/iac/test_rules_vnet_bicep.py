"""AMLG-112 and AMLG-113 on Bicep through the built-in reader: a customer-VNet workspace
(data/own/custom-vnet/main.bicep) passes both; a drifted copy fails exactly that rule at the
Bicep line that causes it, exit 1. Without the bicep extra these tests skip, except under CI."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from amlguard.cli import cli
from amlguard.errors import EXIT_FINDINGS, EXIT_OK
from amlguard.iac import bicep, bicepread
from tests.iac.helpers import DATA

MAIN = DATA / "own" / "custom-vnet" / "main.bicep"
RULES = ("AMLG-112", "AMLG-113")


@pytest.fixture(autouse=True)
def builtin_reader(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No Bicep CLI, whatever the machine has: the built-in reader is what is tested."""
    if not bicepread.available():
        if os.environ.get("CI"):
            pytest.fail("CI is set and the bicep extra (tree-sitter-bicep) is not installed")
        pytest.skip("the bicep extra is not installed (amlguard[bicep])")
    monkeypatch.delenv("AMLGUARD_BICEP", raising=False)
    monkeypatch.setattr(bicep, "find_cli", lambda: None)
    yield


def check(path: Path) -> tuple[int, dict[str, dict[str, Any]]]:
    args = ["check", "--template", str(path), "--deployment-location", "westeurope", "-f", "json"]
    for rule in RULES:
        args += ["--rule", rule]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code in (EXIT_OK, EXIT_FINDINGS), result.output
    findings = {f["rule_id"]: f for f in json.loads(result.stdout)["findings"]}
    return result.exit_code, findings


def test_the_customer_vnet_bicep_passes_both_rules() -> None:
    code, findings = check(MAIN)
    assert code == EXIT_OK
    assert {rule: f["status"] for rule, f in findings.items()} == dict.fromkeys(RULES, "pass")
    assert all(f["location"]["file"] == str(MAIN) for f in findings.values())


@pytest.mark.parametrize(
    ("rule", "written", "drifted"),
    [
        ("AMLG-112", "enableNodePublicIp: false", "enableNodePublicIp: true"),
        (
            "AMLG-112",
            "remoteLoginPortPublicAccess: 'Disabled'",
            "remoteLoginPortPublicAccess: 'NotSpecified'",
        ),
        ("AMLG-113", "serverlessComputeNoPublicIP: true", "serverlessComputeNoPublicIP: false"),
        (
            "AMLG-113",
            "serverlessComputeCustomSubnet: computeSubnet",
            "serverlessComputeCustomSubnet: resourceId('Microsoft.Network/virtualNetworks/"
            "subnets', 'other-vnet', 'snet-compute')",
        ),
    ],
)
def test_a_drifted_bicep_fails_that_rule_at_its_line(
    tmp_path: Path, rule: str, written: str, drifted: str
) -> None:
    text = MAIN.read_text()
    assert text.count(written) == 1
    path = tmp_path / "main.bicep"
    path.write_text(text.replace(written, drifted))
    code, findings = check(path)
    assert code == EXIT_FINDINGS
    assert {r for r, f in findings.items() if f["status"] != "pass"} == {rule}
    location = findings[rule]["location"]
    assert location["file"] == str(path)
    assert drifted.split(":")[0] in path.read_text().splitlines()[location["line"] - 1]
