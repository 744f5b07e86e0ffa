"""``remediation.cases``: AMLG-102's fix on a workspace whose isolation mode is stricter than
every allowed mode says the manual step honestly (no downgrade command, which Azure rejects), in
every report format; the cases are data any rule may use, validated like conditions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from amlguard.cli import cli
from amlguard.scanner.model import Status
from tests.builders import blueprint
from tests.scanner.harness import of_rule, scan

HONEST = "No command can fix this in place"
DOWNGRADE = {
    "AllowInternetOutbound": "--managed-network allow_internet_outbound",
    "Disabled": "--managed-network disabled",
}


def _102(mode: str, allowed: list[str]) -> list[object]:
    inst = blueprint()
    inst.workspace["properties"]["managedNetwork"]["isolationMode"] = mode
    params = {"AMLG-102": {"allowed_modes": allowed}}
    return of_rule(scan(inst.rows(), parameters=params, rule_ids=["AMLG-102"]), "AMLG-102")


@pytest.mark.parametrize(
    ("mode", "allowed"),
    [
        ("AllowOnlyApprovedOutbound", ["AllowInternetOutbound"]),
        ("allowonlyapprovedoutbound", ["Disabled", "AllowInternetOutbound"]),
        ("AllowInternetOutbound", ["Disabled"]),
        ("AllowOnlyApprovedOutbound", ["Disabled"]),
    ],
)
def test_stricter_than_every_allowed_mode_prints_no_downgrade(
    mode: str, allowed: list[str]
) -> None:
    (finding,) = _102(mode, allowed)
    assert finding.status is Status.FAIL  # type: ignore[attr-defined]
    fix = finding.remediation  # type: ignore[attr-defined]
    assert fix.startswith(HONEST) and "blueprint-mlw" in fix
    assert "az ml workspace update" not in fix and "{" not in fix


@pytest.mark.parametrize(
    ("mode", "allowed", "command"),
    [
        ("Disabled", ["AllowInternetOutbound"], "allow_internet_outbound"),
        ("Disabled", ["AllowOnlyApprovedOutbound"], "allow_only_approved_outbound"),
        ("AllowInternetOutbound", ["AllowOnlyApprovedOutbound"], "allow_only_approved_outbound"),
    ],
)
def test_an_upgrade_keeps_the_rules_command(mode: str, allowed: list[str], command: str) -> None:
    (finding,) = _102(mode, allowed)
    fix = finding.remediation  # type: ignore[attr-defined]
    assert HONEST not in fix and f"--managed-network {command}" in fix


FORMATS = ["console", "json", "junit", "sarif", "markdown", "html"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_report_format_says_the_manual_step(fmt: str, tmp_path: Path) -> None:
    inst = blueprint()
    inst.workspace["properties"]["managedNetwork"]["isolationMode"] = "AllowOnlyApprovedOutbound"
    snap = tmp_path / "estate.json"
    snap.write_text(json.dumps(inst.rows()))
    config = tmp_path / "amlguard.yaml"
    config.write_text(
        "version: 1\nparameters:\n  AMLG-102:\n    allowed_modes: [AllowInternetOutbound]\n"
    )
    out = CliRunner().invoke(
        cli,
        ["check", "--snapshot", str(snap), "--config", str(config), "--rule", "AMLG-102",
         "--format", fmt, "--color", "never"],
    )  # fmt: skip
    assert out.exit_code == 1, out.output
    text = out.stdout
    if fmt == "json":
        (finding,) = json.loads(text)["findings"]
        assert finding["remediation"]["command"] is None
        text = finding["remediation"]["summary"]
    if fmt == "sarif":  # the rule's help is rule-level: its command, then the exception
        run = json.loads(text)["runs"][0]
        (result,) = run["results"]
        assert DOWNGRADE["AllowInternetOutbound"] not in json.dumps(result)
        (rule,) = run["tool"]["driver"]["rules"]
        text = rule["help"]["text"].split("Exception:", 1)[1] + rule["help"]["markdown"]
    assert "can fix this in place" in text
    if fmt != "sarif":
        assert DOWNGRADE["AllowInternetOutbound"] not in text


def test_cases_are_generic_and_validated(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    body = """apiVersion: amlguard/v1
kind: Rules
rules:
  - id: ACME-900
    name: acme-tagged
    severity: low
    title: Workspaces carry an owner tag
    description: The workspace has an owner tag.
    target: workspace
    parameters:
      frozen:
        type: array
        default: [legacy]
        description: Owners whose workspaces cannot be retagged.
    condition:
      field: tags.owner
      exists: true
    message: "Workspace {name} has no owner tag."
    remediation:
      summary: Tag workspace {name} with its owner.
      manual: az tag update --resource-id {id} --operation merge --tags owner=<value>
      cases:
        - when:
            field: tags.team
            in: "[parameters('frozen')]"
          summary: Workspace {name} belongs to a frozen team; ask its platform owner.
"""
    rules.write_text(body)
    inst = blueprint()
    inst.workspace["tags"] = {"team": "Legacy"}
    snap = tmp_path / "estate.json"
    snap.write_text(json.dumps(inst.rows()))
    args = ["check", "--snapshot", str(snap), "--policies", str(rules), "--rule", "ACME-900"]
    out = CliRunner().invoke(cli, [*args, "--format", "json"])
    (finding,) = json.loads(out.stdout)["findings"]
    assert finding["remediation"] == {
        "summary": "Workspace blueprint-mlw belongs to a frozen team; ask its platform owner.",
        "command": None,
    }
    inst.workspace["tags"] = {"team": "data"}
    snap.write_text(json.dumps(inst.rows()))
    out = CliRunner().invoke(cli, [*args, "--format", "json"])
    (finding,) = json.loads(out.stdout)["findings"]
    assert finding["remediation"]["summary"] == "Tag workspace blueprint-mlw with its owner."
    assert finding["remediation"]["command"].startswith("az tag update")

    rules.write_text(body.replace("parameters('frozen')", "parameters('thawed')"))
    bad = CliRunner().invoke(cli, ["policies", "validate", str(tmp_path)])
    assert bad.exit_code == 2 and "remediation.cases" in bad.output and "thawed" in bad.output
    rules.write_text(body.replace("in: \"[parameters('frozen')]\"", "bogusOperator: 1"))
    bad = CliRunner().invoke(cli, ["policies", "validate", str(tmp_path)])
    assert bad.exit_code == 2 and "rules.yaml:" in bad.output
