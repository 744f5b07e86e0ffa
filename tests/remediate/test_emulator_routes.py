"""The emulator's remediation routes behave as Azure does for the real SDK clients."""

from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError

from amlguard.remediate.remediators.roles import assignment_name
from amlguard.scanner import ids
from tests.builders import APPROVER_ROLE, blueprint, role_assignment
from tests.remediate.conftest import run_fix


def test_outbound_rule_lifecycle_and_provisioning(fix_emu, make_clients) -> None:
    from azure.ai.ml.entities import PrivateEndpointDestination

    emu, _ = fix_emu
    inst = blueprint()
    inst.workspace["properties"]["managedNetwork"]["status"] = {
        "status": "Inactive",
        "sparkReady": False,
    }
    emu.load(inst.rows())
    ml = make_clients(emu).ml(inst.sub, inst.rg)
    ws = inst.workspace["name"]
    rule = PrivateEndpointDestination(
        name="pe-extra", service_resource_id=inst.keyvault["id"], subresource_target="vault"
    )
    ml.workspace_outbound_rules.begin_create(ws, rule).result()
    put = emu.requests("PUT", "outboundRules/pe-extra")[0]
    assert put.api_version == "2024-10-01-preview"
    names = {r.name for r in ml.workspace_outbound_rules.list(ws)}
    assert {"pe-extra", "allowOpenAi"} <= names
    assert ml.workspace_outbound_rules.get(ws, "pe-extra").status == "Inactive"

    status = ml.workspaces.begin_provision_network(workspace_name=ws, include_spark=True).result()
    assert status.status == "Active" and status.spark_ready is True
    net = emu.get(inst.workspace["id"])["properties"]["managedNetwork"]
    assert net["status"] == {"status": "Active", "sparkReady": True}
    assert {r["status"] for r in net["outboundRules"].values()} == {"Active"}

    ml.workspace_outbound_rules.begin_remove(ws, "pe-extra").result()
    assert (
        "pe-extra"
        not in emu.get(inst.workspace["id"])["properties"]["managedNetwork"]["outboundRules"]
    )


def test_isolation_downgrade_is_rejected(fix_emu, make_clients) -> None:
    emu, _ = fix_emu
    inst = blueprint()
    emu.load(inst.rows())
    ml = make_clients(emu).ml(inst.sub, inst.rg)
    ws = ml.workspaces.get(inst.workspace["name"])
    ws.managed_network.isolation_mode = "Disabled"
    with pytest.raises(HttpResponseError) as err:
        ml.workspaces.begin_update(ws).result()
    assert err.value.status_code == 400
    assert "downgraded" in str(err.value)


def test_private_endpoint_to_a_standard_registry_is_rejected(fix_emu, make_clients) -> None:
    emu, _ = fix_emu
    inst = blueprint()
    inst.registry["sku"] = {"name": "Standard"}
    emu.load(inst.rows())
    net = make_clients(emu).network(inst.sub)
    body = {
        "location": "westeurope",
        "properties": {
            "subnet": {"id": inst.subnet_id},
            "privateLinkServiceConnections": [
                {
                    "name": "x",
                    "properties": {
                        "privateLinkServiceId": inst.registry["id"],
                        "groupIds": ["registry"],
                    },
                }
            ],
        },
    }
    with pytest.raises(HttpResponseError) as err:
        net.private_endpoints.begin_create_or_update(inst.rg, "acr-pe", body).result()
    assert err.value.status_code == 400
    assert "Premium" in str(err.value)


def test_existing_assignment_under_another_name_counts_as_done(fix_emu, make_clients) -> None:
    emu, _ = fix_emu
    inst = blueprint()
    inst.role_assignments = [role_assignment(inst.storage["id"], inst.principal_id)]
    rows = inst.rows()
    emu.load(rows)
    rg = f"/subscriptions/{inst.sub}/resourceGroups/{inst.rg}"
    # Someone assigned the role on the resource group after the scan (under their own name).
    other = role_assignment(rg, inst.principal_id)
    other["id"] = other["id"].rsplit("/", 1)[0] + "/11111111-1111-1111-1111-111111111111"
    emu.arg_lag = 60
    emu.write(other)  # ARM has it; Resource Graph does not yet
    _, report, text = run_fix(emu, make_clients(emu), only=("AMLG-106",))
    (outcome,) = report.outcomes.values()
    assert outcome.status == "done" and outcome.message == "already assigned"
    put = emu.requests("PUT", "roleAssignments/")[0]
    assert put.path.endswith(assignment_name(rg, APPROVER_ROLE, inst.principal_id))
    assert emu.get(put.path) is None  # the 409 created nothing
    assert report.exit_code == 0, text
    assert ids.norm(rg) in ids.norm(put.path)
