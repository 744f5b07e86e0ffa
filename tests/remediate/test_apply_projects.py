"""``apply`` never writes a project workspace (red team session 5, defect 6).

A saved plan runs through the planner's safety layer (``safety.project_touched``) judged from
the workspace's kind as ARM shows it at apply time, not from what the plan (or the scan it was
made from) claims: any action on, under or for a project is refused whole, exit 2, nothing
written, the action and the project named. Real SDK clients against the emulator.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from amlguard.cli import cli
from amlguard.remediate.plan import document_digest
from tests.conftest import EXAMPLES
from tests.emulator import network
from tests.emulator.server import Emulator

HUB_NAME = "foundry-dev-mlw"
PROJ1 = "foundry-dev-proj1"
PROJ2 = "foundry-dev-proj2"


def _estate() -> list[dict[str, Any]]:
    rows = list(json.loads((EXAMPLES / "foundry-hub-drifted.json").read_text())["data"])
    for r in rows:
        if r["name"] in (HUB_NAME, PROJ1):
            r["properties"]["publicNetworkAccess"] = "Enabled"
    return rows


def _id_of(rows: list[dict[str, Any]], name: str) -> str:
    return str(next(r["id"] for r in rows if r["name"] == name))


def _plan(tmp_path: Path, rows: list[dict[str, Any]]) -> dict[str, Any]:
    snap, out = tmp_path / "estate.json", tmp_path / "plan.json"
    snap.write_text(json.dumps({"data": rows}), encoding="utf-8")
    result = CliRunner().invoke(
        cli, ["check", "--snapshot", str(snap), "--fix", "--plan-out", str(out)]
    )
    assert out.exists(), result.output
    return dict(json.loads(out.read_text()))


def _apply(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, plan: dict[str, Any]
) -> tuple[Any, list[Any]]:
    plan["digest"] = document_digest(plan)
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(plan), encoding="utf-8")
    with Emulator(_estate()) as emu:
        network.install(emu)
        monkeypatch.setenv("AMLGUARD_ARM_ENDPOINT", emu.url)
        monkeypatch.setenv("AMLGUARD_CA_BUNDLE", emu.ca_path)
        monkeypatch.setenv("AMLGUARD_ACCESS_TOKEN", "t")
        monkeypatch.delenv("AZUREML_CURRENT_CLOUD", raising=False)
        result = CliRunner().invoke(cli, ["apply", str(path), "--yes"])
        writes = emu.writes()
    return result, writes


def _retarget(action: dict[str, Any], old: str, new: str) -> None:
    """Every id of the action moved from workspace ``old`` to ``new`` (as an attacker would)."""
    text = json.dumps(action).replace(old, new)
    action.clear()
    action.update(json.loads(text))


def _public_access_on_project(plan: dict[str, Any], rows: list[dict[str, Any]]) -> None:
    a = next(a for a in plan["actions"] if a["remediator"] == "workspace-public-access")
    _retarget(a, _id_of(rows, HUB_NAME), _id_of(rows, PROJ1))


def _provision_project(plan: dict[str, Any], rows: list[dict[str, Any]]) -> None:
    """The planner's own PE action, kept for the hub, but its request sent to a project."""
    a = next(a for a in plan["actions"] if a["remediator"] == "workspace-public-access")
    proj = _id_of(rows, PROJ2)
    a.update(
        remediator="managed-network-provision",
        operation="provision-managed-network",
        target=proj,
        summary=f"Provision the managed network of workspace {PROJ2}",
        call={**a["call"], "method": "POST", "path": proj + "/provisionManagedNetwork"},
        body={"includeSpark": False},
        params={},
    )
    a["changes"][0]["resource_id"] = proj


def _outbound_rule_under_project(plan: dict[str, Any], rows: list[dict[str, Any]]) -> None:
    """Only the request path moves under the project; target and instance stay the hub."""
    a = next(a for a in plan["actions"] if a["operation"] == "create-outbound-rule")
    hub = _id_of(rows, HUB_NAME)
    a["call"]["path"] = a["call"]["path"].replace(hub, _id_of(rows, PROJ2).upper())


EDITS: dict[str, Callable[[dict[str, Any], list[dict[str, Any]]], None]] = {
    "public-access-on-project": _public_access_on_project,
    "provision-project": _provision_project,
    "outbound-rule-under-project-upper-case": _outbound_rule_under_project,
}


@pytest.mark.parametrize("edit", list(EDITS))
def test_a_plan_that_writes_a_project_is_refused_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, edit: str
) -> None:
    rows = _estate()
    plan = _plan(tmp_path, rows)
    EDITS[edit](plan, rows)
    result, writes = _apply(tmp_path, monkeypatch, plan)
    assert result.exit_code == 2, result.output
    assert writes == []
    assert "project workspace" in result.output
    assert PROJ1 in result.output or PROJ2 in result.output
    assert "Traceback" not in result.output


def test_a_project_that_the_scan_saw_as_a_plain_workspace_is_refused_from_arm(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The snapshot the plan came from hid the kind (a plain workspace of its own): the
    planner planned writes on it; ARM says it is a project, so apply refuses them all."""
    rows = _estate()
    for r in rows:
        if r["name"] == PROJ1:
            r["kind"] = "Default"
            r["properties"].pop("hubResourceId", None)
    plan = _plan(tmp_path, rows)
    assert any(PROJ1 in a["target"] for a in plan["actions"])
    result, writes = _apply(tmp_path, monkeypatch, plan)
    assert result.exit_code == 2, result.output
    assert writes == []
    assert f"project workspace {PROJ1}" in " ".join(result.output.split())


def test_the_untouched_hub_plan_still_applies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The hub's own action goes through (the plan's other actions integrate resources of a
    project's resource group, which ``apply``'s ownership check cannot see from ARM today)."""
    rows = _estate()
    plan = _plan(tmp_path, rows)
    plan["actions"] = [a for a in plan["actions"] if a["remediator"] == "workspace-public-access"]
    assert plan["actions"] and plan["actions"][0]["target"] == _id_of(rows, HUB_NAME)
    result, writes = _apply(tmp_path, monkeypatch, plan)
    assert result.exit_code == 0, result.output
    assert writes and not any(PROJ1 in w.path or PROJ2 in w.path for w in writes)
