"""Azure ids, types, property names and string values compare case-insensitively everywhere."""

from __future__ import annotations

from typing import Any

import pytest

from amlguard.scanner import ids
from amlguard.scanner.model import Status
from tests.builders import blueprint
from tests.scanner.harness import all_pass, not_passing, one, only_flips, scan


def swap_case_path(resource_id: str) -> str:
    """The same id with every segment's case changed (as ARM and ARG disagree)."""
    return "/".join(p.upper() if i % 2 else p.lower() for i, p in enumerate(resource_id.split("/")))


@pytest.mark.parametrize(
    "role", ["storageAccount", "keyVault", "containerRegistry", "applicationInsights"]
)
@pytest.mark.parametrize("casing", [str.upper, str.lower, swap_case_path])
def test_workspace_links_in_other_casing_than_rows(role: str, casing: Any) -> None:
    inst = blueprint()
    props = inst.workspace["properties"]
    props[role] = casing(props[role])
    findings = all_pass(inst.rows())
    # Findings name the resource as its own row spells it.
    judged = {f.resource_id for f in findings if f.rule_id in ("AMLG-201", "AMLG-211", "AMLG-221")}
    assert judged <= {inst.storage["id"], inst.keyvault["id"], inst.registry["id"]}


def test_every_row_type_in_arm_casing() -> None:
    inst = blueprint()
    rows = inst.rows()
    arm = {
        "microsoft.machinelearningservices/workspaces": "Microsoft.MachineLearningServices/workspaces",
        "microsoft.storage/storageaccounts": "Microsoft.Storage/storageAccounts",
        "microsoft.network/privateendpoints": "Microsoft.Network/privateEndpoints",
        "microsoft.network/privateendpoints/privatednszonegroups": "Microsoft.Network/privateEndpoints/privateDnsZoneGroups",
        "microsoft.network/privatednszones/virtualnetworklinks": "Microsoft.Network/privateDnsZones/virtualNetworkLinks",
        "microsoft.authorization/roleassignments": "Microsoft.Authorization/roleAssignments",
    }
    for r in rows:
        r["type"] = arm.get(r["type"], r["type"].upper())
    findings = all_pass(rows)
    assert all(f.resource_type == f.resource_type.lower() for f in findings)


def test_every_row_id_upper_case() -> None:
    inst = blueprint()
    rows = inst.rows()
    for r in rows:
        r["id"] = r["id"].upper()
    all_pass(rows)


def test_relations_in_mixed_case() -> None:
    inst = blueprint()
    for pe in inst.endpoints.values():
        conn = pe["properties"]["privateLinkServiceConnections"][0]["properties"]
        conn["privateLinkServiceId"] = conn["privateLinkServiceId"].lower()
        pe["properties"]["subnet"]["id"] = swap_case_path(pe["properties"]["subnet"]["id"])
    for group in inst.zone_groups.values():
        group["id"] = group["id"].replace("privateDnsZoneGroups", "PRIVATEDNSZONEGROUPS").upper()
        for cfg in group["properties"]["privateDnsZoneConfigs"]:
            cfg["properties"]["privateDnsZoneId"] = cfg["properties"]["privateDnsZoneId"].upper()
    for link in inst.links.values():
        link["id"] = link["id"].replace("virtualNetworkLinks", "virtualnetworklinks").lower()
        link["properties"]["virtualNetwork"]["id"] = link["properties"]["virtualNetwork"][
            "id"
        ].upper()
    ra = inst.role_assignments[0]["properties"]
    ra["scope"] = ra["scope"].upper()
    ra["principalId"] = ra["principalId"].upper()
    ra["roleDefinitionId"] = ra["roleDefinitionId"].upper()
    all_pass(inst.rows())


@pytest.mark.parametrize(
    "key", ["PUBLICNETWORKACCESS", "publicnetworkaccess", "PublicNetworkAccess"]
)
def test_property_names_match_case_insensitively(key: str) -> None:
    inst = blueprint()
    for target in (inst.workspace, inst.storage, inst.keyvault, inst.registry, inst.openai):
        props = target["properties"]
        props[key] = props.pop("publicNetworkAccess")
    mn = inst.workspace["properties"]["managedNetwork"]
    mn["ISOLATIONMODE"] = mn.pop("isolationMode")
    inst.registry["SKU"] = inst.registry.pop("sku")
    all_pass(inst.rows())


@pytest.mark.parametrize("key", ["PUBLICNETWORKACCESS", "publicnetworkaccess"])
def test_property_name_casing_does_not_hide_a_public_value(key: str) -> None:
    inst = blueprint()
    props = inst.storage["properties"]
    del props["publicNetworkAccess"]
    props[key] = "Enabled"
    f = only_flips(inst.rows(), "AMLG-201")
    assert f.actual == "Enabled"


def test_string_values_compare_case_insensitively() -> None:
    inst = blueprint()
    ws = inst.workspace["properties"]
    ws["publicNetworkAccess"] = "disabled"
    ws["managedNetwork"]["isolationMode"] = "allowinternetoutbound"
    ws["managedNetwork"]["status"]["status"] = "ACTIVE"
    for rule in ws["managedNetwork"]["outboundRules"].values():
        rule["type"] = "privateendpoint"
        rule["status"] = "active"
    inst.workspace["identity"]["type"] = "userassigned"
    for target in (inst.storage, inst.keyvault, inst.registry, inst.openai):
        target["properties"]["publicNetworkAccess"] = "DISABLED"
        for conn in target["properties"]["privateEndpointConnections"]:
            conn["properties"]["privateLinkServiceConnectionState"]["status"] = "approved"
    inst.registry["sku"]["name"] = "premium"
    all_pass(inst.rows())


@pytest.mark.parametrize("status", ["pending", "REJECTED", "disconnected"])
def test_bad_states_in_any_case_still_fail(status: str) -> None:
    inst = blueprint()
    conn = inst.keyvault["properties"]["privateEndpointConnections"][0]
    conn["properties"]["privateLinkServiceConnectionState"]["status"] = status
    findings = scan(inst.rows())
    assert not_passing(findings) == {"AMLG-240": {"fail"}, "AMLG-212": {"fail"}}
    assert one(findings, "AMLG-212").status is Status.FAIL


def test_ids_helpers() -> None:
    a = "/subscriptions/S/resourceGroups/RG/providers/Microsoft.Storage/storageAccounts/St/"
    assert ids.norm(a) == ids.norm(a.lower().rstrip("/"))
    assert ids.parse(a.upper()).type == "microsoft.storage/storageaccounts"
    assert ids.covers("/SUBSCRIPTIONS/s/resourcegroups/rg", a)
    assert not ids.covers("/subscriptions/s/resourceGroups/R", a)
    assert ids.covers("/", a)
    assert not ids.covers("", a)
    assert ids.guid_tail("/providers/X/roleDefinitions/ABC/") == "abc"
    assert ids.vnet_of_subnet("/x/virtualNetworks/v/SUBNETS/s") == "/x/virtualNetworks/v"


def test_workspace_property_name_casing_does_not_drop_instance_members() -> None:
    # Regression: instance assembly read the links with exact-case keys, so a workspace whose
    # row spelled "StorageAccount" lost its storage account and nobody judged it (fail-open).
    inst = blueprint()
    props = inst.workspace["properties"]
    props["StorageAccount"] = props.pop("storageAccount")
    props["PrimaryUserAssignedIdentity"] = props.pop("primaryUserAssignedIdentity")
    managed = props.pop("managedNetwork")
    props["ManagedNetwork"] = managed
    managed["OutboundRules"] = managed.pop("outboundRules")
    rule = managed["OutboundRules"]["allowOpenAi"]
    rule["Destination"] = rule.pop("destination")
    rule["Category"] = rule.pop("category")
    inst.storage["properties"]["publicNetworkAccess"] = "Enabled"
    f = only_flips(inst.rows(), "AMLG-201")
    assert f.resource_id == inst.storage["id"]
    inst.storage["properties"]["publicNetworkAccess"] = "Disabled"
    all_pass(inst.rows())
