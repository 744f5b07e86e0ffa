"""The exact requests each remediator puts on the wire (paths, api-versions, bodies), in order."""

from __future__ import annotations

from typing import Any

from amlguard.remediate.remediators.roles import assignment_name
from amlguard.scanner import ids
from tests.builders import APPROVER_ROLE, blueprint, row
from tests.emulator import network
from tests.emulator.server import Emulator, Request
from tests.remediate.conftest import run_fix


def _estate() -> tuple[Any, Any, list[dict[str, Any]]]:
    """One instance drifted in every fixable way, and one whose workspace is public."""
    a = blueprint()
    ws = a.workspace["properties"]
    ws["managedNetwork"]["isolationMode"] = "Disabled"
    ws["managedNetwork"]["status"] = {"status": "Inactive", "sparkReady": False}
    del ws["managedNetwork"]["outboundRules"]["allowOpenAi"]
    del ws["imageBuildCompute"]
    a.role_assignments = []
    a.remove_endpoint("keyvault")
    for r in (a.keyvault, a.registry, a.openai):
        r["properties"]["publicNetworkAccess"] = "Enabled"
    compute = row(
        f"{a.workspace['id']}/computes/cpu-compute",
        "microsoft.machinelearningservices/workspaces/computes",
    )
    b = blueprint(rg="ml-two", prefix="two")
    b.workspace["properties"]["publicNetworkAccess"] = "Enabled"
    return a, b, a.rows() + b.rows() + [compute]


def _one(writes: list[Request], method: str, suffix: str) -> Request:
    found = [w for w in writes if w.method == method and w.path.lower().endswith(suffix.lower())]
    assert len(found) == 1, (method, suffix, [w.path for w in writes])
    return found[0]


def test_every_remediator_sends_what_azure_expects(make_clients) -> None:
    a, b, rows = _estate()
    with Emulator(rows) as emu:
        network.install(emu)
        _, report, text = run_fix(emu, make_clients(emu))
        assert report.exit_code == 0, text
        writes = emu.writes()
        order = [w.path.lower() for w in writes]

    rg_a = f"/subscriptions/{a.sub}/resourceGroups/{a.rg}"
    name = assignment_name(rg_a, APPROVER_ROLE, a.principal_id)
    role = _one(writes, "PUT", f"{rg_a}/providers/Microsoft.Authorization/roleAssignments/{name}")
    assert role.api_version == "2022-04-01"
    assert role.body == {
        "properties": {
            "roleDefinitionId": f"/subscriptions/{a.sub}/providers/Microsoft.Authorization/roleDefinitions/{APPROVER_ROLE}",
            "principalId": a.principal_id,
            "principalType": "ServicePrincipal",
        }
    }

    settings = _one(writes, "PATCH", a.workspace["id"])
    assert settings.api_version == "2024-10-01-preview"
    assert settings.body == {
        "properties": {
            "managedNetwork": {"isolationMode": "AllowInternetOutbound"},
            "imageBuildCompute": "cpu-compute",
        }
    }

    rule = _one(writes, "PUT", f"{a.workspace['id']}/outboundRules/pe-blueprint-oai")
    assert rule.api_version == "2024-10-01-preview"
    assert rule.body["properties"]["type"] == "PrivateEndpoint"
    assert rule.body["properties"]["category"] == "UserDefined"
    assert rule.body["properties"]["destination"] == {
        "serviceResourceId": a.openai["id"],
        "subresourceTarget": "account",
        "sparkEnabled": True,
    }

    pe_id = f"{rg_a}/providers/Microsoft.Network/privateEndpoints/blueprint-kv-pe-vault"
    pe = _one(writes, "PUT", pe_id)
    assert pe.api_version and pe.api_version >= "2024-05-01"
    assert pe.body["location"] == a.vnet["location"]
    assert pe.body["properties"]["subnet"] == {"id": a.subnet_id}
    (conn,) = pe.body["properties"]["privateLinkServiceConnections"]
    assert conn["properties"] == {"privateLinkServiceId": a.keyvault["id"], "groupIds": ["vault"]}

    zg = _one(writes, "PUT", f"{pe_id}/privateDnsZoneGroups/default")
    zone_id = f"{rg_a}/providers/Microsoft.Network/privateDnsZones/privatelink.vaultcore.azure.net"
    assert zg.body == {
        "properties": {
            "privateDnsZoneConfigs": [
                {
                    "name": "privatelink-vaultcore-azure-net",
                    "properties": {"privateDnsZoneId": zone_id},
                }
            ]
        }
    }

    for resource, version in (
        (a.keyvault, "2023-07-01"),
        (a.registry, "2023-07-01"),
        (a.openai, "2024-10-01"),
    ):
        patch = _one(writes, "PATCH", resource["id"])
        assert patch.api_version == version
        assert patch.body == {"properties": {"publicNetworkAccess": "Disabled"}}

    prov = _one(writes, "POST", f"{a.workspace['id']}/provisionManagedNetwork")
    assert prov.api_version == "2024-10-01-preview"
    assert prov.body == {"includeSpark": True}

    public = _one(writes, "PATCH", b.workspace["id"])
    # Only the property it changes: the user's rules and every other setting are not re-sent.
    assert public.body == {"properties": {"publicNetworkAccess": "Disabled"}}

    # blueprint.md section 5 order within the instance.
    def at(path: str) -> int:
        return order.index(ids.norm(path))

    assert at(role.path) < at(rule.path) and at(role.path) < at(settings.path)
    assert at(settings.path) < at(rule.path)  # the rule needs managed isolation
    assert at(pe.path) < at(zg.path) < at(a.keyvault["id"])
    assert at(prov.path) == max(
        at(w.path)
        for w in writes
        if ids.norm(a.workspace["id"]) in w.path.lower() or a.rg in w.path
    )
