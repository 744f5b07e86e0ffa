"""Template resources whose ``condition`` is unknown before deployment never decide a verdict
(iac.md 6.3, redteam5 defect 1): every finding they change is ``error`` naming the condition,
exit 3; findings they do not change keep their verdict."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from amlguard.cli import cli
from amlguard.iac.source import TemplateSource
from amlguard.scanner.model import Status
from tests.iac.helpers import DATA, scan

BASE = DATA / "own" / "blueprint" / "azuredeploy.json"
PARAMS = {"vmAdminPassword": {"value": "Not-A-Real-Passw0rd!"}}
UNKNOWN = "[equals(reference(variables('identityId')).principalId, 'x')]"


def _write(tmp_path: Path, change: Any) -> tuple[Path, Path]:
    template = json.loads(BASE.read_text())
    change(template["resources"])
    path = tmp_path / "main.json"
    path.write_text(json.dumps(template, indent=1))
    params = tmp_path / "main.parameters.json"
    params.write_text(json.dumps({"parameters": PARAMS}))
    return path, params


def _resource(resources: list[dict[str, Any]], rtype: str) -> dict[str, Any]:
    return next(r for r in resources if r["type"].lower() == rtype.lower())


def _statuses(tmp_path: Path, change: Any) -> dict[str, set[Status]]:
    path, params = _write(tmp_path, change)
    out: dict[str, set[Status]] = {}
    for f in scan(TemplateSource([path], [params])).findings:
        out.setdefault(f.rule_id, set()).add(f.status)
    return out


def test_the_base_template_passes(tmp_path: Path) -> None:
    found = _statuses(tmp_path, lambda res: None)
    assert all(s == {Status.PASS} for s in found.values()), found


def test_unknown_condition_on_the_endpoint_module_is_error_naming_it(tmp_path: Path) -> None:
    def change(res: list[dict[str, Any]]) -> None:
        _resource(res, "Microsoft.Resources/deployments")["condition"] = UNKNOWN

    path, params = _write(tmp_path, change)
    findings = scan(TemplateSource([path], [params])).findings
    errors = [f for f in findings if f.status is Status.ERROR]
    assert {f.rule_id for f in errors} >= {"AMLG-109", "AMLG-202", "AMLG-301"}
    assert all("unknown before deployment" in f.message for f in errors)
    assert all(UNKNOWN in f.message and "main.json:" in f.message for f in errors)
    # rules the endpoints do not decide keep their verdict
    by_rule = {f.rule_id: f.status for f in findings if f.rule_id == "AMLG-101"}
    assert by_rule == {"AMLG-101": Status.PASS}


def test_unknown_condition_on_the_approver_assignment_is_error(tmp_path: Path) -> None:
    def change(res: list[dict[str, Any]]) -> None:
        _resource(res, "Microsoft.Authorization/roleAssignments")["condition"] = UNKNOWN

    assert _statuses(tmp_path, change)["AMLG-106"] == {Status.ERROR}


def test_a_known_condition_is_judged_as_usual(tmp_path: Path) -> None:
    def change(res: list[dict[str, Any]]) -> None:
        _resource(res, "Microsoft.Authorization/roleAssignments")["condition"] = "[equals(1, 2)]"

    assert _statuses(tmp_path, change)["AMLG-106"] == {Status.FAIL}


def test_a_failure_either_way_stays_a_failure(tmp_path: Path) -> None:
    def change(res: list[dict[str, Any]]) -> None:
        ws = _resource(res, "Microsoft.MachineLearningServices/workspaces")
        ws["properties"]["publicNetworkAccess"] = "Enabled"
        _resource(res, "Microsoft.Authorization/roleAssignments")["condition"] = UNKNOWN

    found = _statuses(tmp_path, change)
    assert Status.FAIL in found["AMLG-101"] and found["AMLG-106"] == {Status.ERROR}


def test_cli_exits_3_on_an_unknown_condition(tmp_path: Path) -> None:
    def change(res: list[dict[str, Any]]) -> None:
        _resource(res, "Microsoft.Authorization/roleAssignments")["condition"] = UNKNOWN

    path, params = _write(tmp_path, change)
    result = CliRunner().invoke(
        cli,
        [
            "check",
            "--template",
            str(path),
            "--parameters",
            str(params),
            "--deployment-location",
            "westeurope",
            "--rule",
            "AMLG-106",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 3, result.output
    report = json.loads(result.output)
    (finding,) = [f for f in report["findings"] if f["rule_id"] == "AMLG-106"]
    assert finding["status"] == "error" and "unknown before deployment" in finding["message"]


UNKNOWN_B = "[equals(reference(variables('identityId')).tenantId, 'b')]"
UNKNOWN_C = "[equals(reference(variables('identityId')).clientId, 'c')]"


def _alternatives(conditions: list[str]) -> Any:
    """The approver role assignment written once per condition, each under its own (redteam6
    item 7): every one-condition-absent world still holds another assignment."""

    def change(res: list[dict[str, Any]]) -> None:
        ra = _resource(res, "Microsoft.Authorization/roleAssignments")
        res.remove(ra)
        for i, condition in enumerate(conditions):
            copy = json.loads(json.dumps(ra))
            copy["name"] = f"[guid(resourceGroup().id, variables('identityId'), '{i}')]"
            copy["condition"] = condition
            res.append(copy)

    return change


def test_two_alternatives_under_independent_unknown_conditions_are_error(tmp_path: Path) -> None:
    found = _statuses(tmp_path, _alternatives([UNKNOWN, UNKNOWN_B]))
    assert found["AMLG-106"] == {Status.ERROR}


def test_alternatives_beyond_the_exhaustive_limit_are_error(tmp_path: Path) -> None:
    from amlguard.iac.conditional import EXHAUSTIVE

    extra = [
        f"[equals(reference(variables('identityId')).principalId, '{i}')]"
        for i in range(EXHAUSTIVE)
    ]
    found = _statuses(tmp_path, _alternatives([UNKNOWN_B, UNKNOWN_C, *extra]))
    assert found["AMLG-106"] == {Status.ERROR}


def test_alternatives_with_one_unconditional_copy_pass(tmp_path: Path) -> None:
    """With one assignment that is always deployed, no world lacks the approver: pass."""
    found = _statuses(tmp_path, _alternatives([UNKNOWN, UNKNOWN_B, "[true()]"]))
    assert found["AMLG-106"] == {Status.PASS}
