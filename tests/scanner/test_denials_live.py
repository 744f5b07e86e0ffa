"""AMLG-106 and deny assignments live (redteam5 defect 19): the emulator, real Azure SDK
pipeline clients. Resource Graph has no deny assignments, so a live scan lists them from the
Authorization REST API; a list it cannot read is a gap (exit 3), never a silent pass."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import CliRunner

from amlguard.cli import cli
from amlguard.scanner.sources.snapshot import read_snapshot
from tests.conftest import EXAMPLES
from tests.emulator import arg, denyassignments
from tests.emulator.server import Emulator
from tests.scanner.test_denials import EVERYONE, deny_assignment

TOKEN = "eyJhbGciOi.not-a-real-token.c2lnbmF0dXJl"


def _rows(with_deny: bool) -> tuple[list[dict[str, Any]], str]:
    rows, _ = read_snapshot(EXAMPLES / "compliant.json")
    ws = next(r for r in rows if r["type"] == "microsoft.machinelearningservices/workspaces")
    scope = f"/subscriptions/{ws['subscriptionId']}/resourceGroups/{ws['resourceGroup']}"
    if with_deny:
        rows.append(deny_assignment(scope, [{"id": EVERYONE, "type": "SystemDefined"}]))
    return rows, str(ws["subscriptionId"])


@pytest.fixture
def token(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("AMLGUARD_ACCESS_TOKEN", TOKEN)
    yield


def _check(emu: Emulator) -> Any:
    args = ["--arm-endpoint", emu.url, "--ca-bundle", emu.ca_path, "--quiet"]
    return CliRunner().invoke(cli, ["check", "--format", "json", "--rule", "AMLG-106", *args])


def _106(result: Any) -> dict[str, Any]:
    (finding,) = [f for f in json.loads(result.stdout)["findings"] if f["rule_id"] == "AMLG-106"]
    return finding


def test_live_deny_assignment_fails_106_naming_it(token: None) -> None:
    rows, _sub = _rows(with_deny=True)
    with Emulator(rows) as emu:
        arg.install(emu)
        denyassignments.install(emu)
        result = _check(emu)
        assert emu.requests("GET", contains="denyAssignments"), "deny assignments were not read"
    assert result.exit_code == 1, result.output
    finding = _106(result)
    assert finding["status"] == "fail"
    assert "deny assignment 'block-pe-approval' denies" in finding["message"]


def test_live_without_deny_assignments_passes(token: None) -> None:
    rows, _sub = _rows(with_deny=False)
    with Emulator(rows) as emu:
        arg.install(emu)
        denyassignments.install(emu)
        result = _check(emu)
    assert result.exit_code == 0, result.output
    assert _106(result)["status"] == "pass"


def test_live_unreadable_deny_assignments_are_a_gap(token: None) -> None:
    rows, sub = _rows(with_deny=False)
    with Emulator(rows) as emu:
        arg.install(emu)
        denyassignments.install(emu).fail[sub.lower()] = 403
        result = _check(emu)
    assert result.exit_code == 3, result.output
    finding = _106(result)
    assert finding["status"] == "error" and "deny assignments" in finding["message"]


def test_deny_assignments_are_not_read_when_no_rule_asks(token: None) -> None:
    rows, _sub = _rows(with_deny=True)
    with Emulator(rows) as emu:
        arg.install(emu)
        denyassignments.install(emu)
        args = ["--arm-endpoint", emu.url, "--ca-bundle", emu.ca_path, "--quiet"]
        result = CliRunner().invoke(cli, ["check", "--rule", "AMLG-101", *args])
        assert not emu.requests("GET", contains="denyAssignments")
    assert result.exit_code == 0, result.output


GROUP = "/providers/Microsoft.Management/managementGroups/corp"


@pytest.mark.parametrize(("under", "status", "code"), [(True, "fail", 1), (False, "pass", 0)])
def test_live_group_deny_applies_to_the_subscriptions_listed_under_it(
    token: None, under: bool, status: str, code: int
) -> None:
    rows, sub = _rows(with_deny=False)
    rows.append(deny_assignment(GROUP, [{"id": EVERYONE, "type": "SystemDefined"}]))
    with Emulator(rows) as emu:
        arg.install(emu)
        knobs = denyassignments.install(emu)
        knobs.groups[GROUP.lower()] = {sub.lower()} if under else {"another-subscription"}
        result = _check(emu)
    assert result.exit_code == code, result.output
    finding = _106(result)
    assert finding["status"] == status
    assert ("management group" not in finding["message"]) and (
        ("denies" in finding["message"]) is under
    )


SUB_B = "1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d"


def _search_in_another_subscription(rows: list[dict[str, Any]]) -> str:
    """An AI Search service in subscription B, integrated through a private-endpoint outbound
    rule, with the approver role for the workspace identity on its resource group (redteam6 8)."""
    ws = next(r for r in rows if r["type"] == "microsoft.machinelearningservices/workspaces")
    rg = f"/subscriptions/{SUB_B}/resourceGroups/rg-search"
    search = f"{rg}/providers/Microsoft.Search/searchServices/srch1"
    ws["properties"]["managedNetwork"]["outboundRules"]["search"] = {
        "type": "PrivateEndpoint",
        "category": "UserDefined",
        "status": "Active",
        "destination": {"serviceResourceId": search, "subresourceTarget": "searchService"},
    }
    role = next(r for r in rows if r["type"] == "microsoft.authorization/roleassignments")
    rows.append({
        "id": search, "name": "srch1", "type": "microsoft.search/searchservices",
        "location": ws["location"], "resourceGroup": "rg-search", "subscriptionId": SUB_B,
        "sku": {"name": "standard"},
        "properties": {"publicNetworkAccess": "Disabled", "privateEndpointConnections": []},
    })  # fmt: skip
    rows.append({
        **role,
        "id": f"{rg}/providers/Microsoft.Authorization/roleAssignments/7a158c77-0665-5f33-9cca-e72d76b08b1e",
        "name": "7a158c77-0665-5f33-9cca-e72d76b08b1e", "resourceGroup": "rg-search",
        "subscriptionId": SUB_B, "properties": {**role["properties"], "scope": rg},
    })  # fmt: skip
    return rg


@pytest.mark.parametrize(("deny", "code", "status"), [(True, 1, "fail"), (False, 0, "pass")])
def test_live_deny_in_an_integrated_resource_subscription_is_read(
    token: None, deny: bool, code: int, status: str
) -> None:
    """Every subscription holding a member of the instance is listed, whatever the member's
    type: a deny on an integrated AI Search elsewhere used to be never read (PASSED, exit 0)."""
    rows, _sub = _rows(with_deny=False)
    rg = _search_in_another_subscription(rows)
    if deny:
        rows.append(deny_assignment(rg, [{"id": EVERYONE, "type": "SystemDefined"}]))
    with Emulator(rows) as emu:
        arg.install(emu)
        denyassignments.install(emu)
        result = _check(emu)
        listed = emu.requests("GET", contains=f"{SUB_B}/providers/Microsoft.Authorization")
    assert listed, "subscription B's deny assignments were not read"
    assert result.exit_code == code, result.output
    assert _106(result)["status"] == status
