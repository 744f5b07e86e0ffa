"""AMLG-201..240: associated and integrated resources, judged only as part of an instance."""

from __future__ import annotations

from typing import Any

import pytest

from amlguard.scanner.model import Status
from tests.builders import Instance, blueprint, rid, row
from tests.scanner.harness import all_pass, not_passing, of_rule, one, only_flips, scan

PUBLIC_ACCESS_RULES = [
    ("AMLG-201", "storage", "Storage account blueprintst"),
    ("AMLG-211", "keyvault", "Key vault blueprint-kv"),
    ("AMLG-222", "registry", "Container registry blueprintacr"),
    ("AMLG-231", "openai", "AI account blueprint-oai"),
]


def target(inst: Instance, role: str) -> dict[str, Any]:
    out: dict[str, Any] = getattr(inst, role)
    return out


def drop_zone(inst: Instance, key: str) -> None:
    """Empty the DNS zone group of one endpoint (the endpoint itself stays)."""
    inst.zone_groups[key]["properties"]["privateDnsZoneConfigs"] = []


def set_connection_status(inst: Instance, role: str, status: str, index: int = 0) -> None:
    conn = target(inst, role)["properties"]["privateEndpointConnections"][index]
    conn["properties"]["privateLinkServiceConnectionState"]["status"] = status


# ---------------------------------------------------------------- public network access


@pytest.mark.parametrize(("rule_id", "role", "label"), PUBLIC_ACCESS_RULES)
def test_public_access_enabled_fails(rule_id: str, role: str, label: str) -> None:
    inst = blueprint()
    target(inst, role)["properties"]["publicNetworkAccess"] = "Enabled"
    f = only_flips(inst.rows(), rule_id)
    assert f.resource_id == target(inst, role)["id"]
    assert f.path == "properties.publicNetworkAccess"
    assert f.expected == "Disabled" and f.actual == "Enabled"
    assert f.message.startswith(label) and "is Enabled" in f.message
    assert "--public-network-access Disabled" in f.remediation or "public-network" in f.remediation


@pytest.mark.parametrize(("rule_id", "role", "label"), PUBLIC_ACCESS_RULES)
def test_public_access_absent_fails(rule_id: str, role: str, label: str) -> None:
    inst = blueprint()
    del target(inst, role)["properties"]["publicNetworkAccess"]
    f = only_flips(inst.rows(), rule_id)
    assert f.actual == "absent" and "is absent" in f.message


@pytest.mark.parametrize(("rule_id", "role", "label"), PUBLIC_ACCESS_RULES)
def test_public_access_value_case_insensitive(rule_id: str, role: str, label: str) -> None:
    inst = blueprint()
    target(inst, role)["properties"]["publicNetworkAccess"] = "disabled"
    all_pass(inst.rows())


# ---------------------------------------------------------------- AMLG-202 storage endpoints


@pytest.mark.parametrize("key", ["storage-blob", "storage-file"])
def test_202_needs_blob_and_file(key: str) -> None:
    inst = blueprint()
    inst.remove_endpoint(key)
    f = only_flips(inst.rows(), "AMLG-202")
    assert f.resource_id == inst.storage["id"]
    assert "for blob, for file" in str(f.expected)
    assert "blueprintst" in f.message
    assert "--group-id blob" in f.remediation


@pytest.mark.parametrize("key", ["storage-blob", "storage-file"])
def test_202_each_endpoint_needs_its_zone(key: str) -> None:
    inst = blueprint()
    drop_zone(inst, key)
    findings = scan(inst.rows())
    assert one(findings, "AMLG-202").status is Status.FAIL
    # The zone is no longer used by any endpoint, so AMLG-301 has nothing to judge for it.
    assert set(not_passing(findings)) == {"AMLG-202"}


def test_202_one_endpoint_with_both_groups_passes() -> None:
    inst = blueprint()
    inst.remove_endpoint("storage-file")
    blob = inst.endpoints["storage-blob"]
    blob["properties"]["privateLinkServiceConnections"][0]["properties"]["groupIds"] = [
        "blob",
        "file",
    ]
    file_zone = rid(
        inst.sub, inst.rg, "Microsoft.Network/privateDnsZones", "privatelink.file.core.windows.net"
    )
    inst.zone_groups["storage-blob"]["properties"]["privateDnsZoneConfigs"].append(
        {"name": "file", "properties": {"privateDnsZoneId": file_zone}}
    )
    all_pass(inst.rows())


@pytest.mark.parametrize("status", ["Pending", "Rejected", "Disconnected"])
def test_202_endpoint_not_approved_fails_202_and_240(status: str) -> None:
    inst = blueprint()
    set_connection_status(inst, "storage", status, index=1)  # the file endpoint
    findings = scan(inst.rows())
    assert not_passing(findings) == {"AMLG-202": {"fail"}, "AMLG-240": {"fail"}}


def test_202_manual_connection_counts() -> None:
    inst = blueprint()
    pe = inst.endpoints["storage-file"]["properties"]
    pe["manualPrivateLinkServiceConnections"] = pe.pop("privateLinkServiceConnections")
    pe["privateLinkServiceConnections"] = []
    all_pass(inst.rows())


# ---------------------------------------------------------------- AMLG-212 / 223 / 233 endpoints


@pytest.mark.parametrize(
    ("rule_id", "key", "role"),
    [
        ("AMLG-212", "keyvault", "keyvault"),
        ("AMLG-223", "registry", "registry"),
        ("AMLG-233", "openai", "openai"),
    ],
)
def test_endpoint_rules_fail_without_endpoint(rule_id: str, key: str, role: str) -> None:
    inst = blueprint()
    inst.remove_endpoint(key)
    f = only_flips(inst.rows(), rule_id)
    assert f.resource_id == target(inst, role)["id"]
    assert "no approved private endpoint" in f.message
    assert f.path == "privateEndpoints" and f.actual == 0
    assert "az network private-endpoint create" in f.remediation


@pytest.mark.parametrize(
    ("rule_id", "key"), [("AMLG-212", "keyvault"), ("AMLG-223", "registry"), ("AMLG-233", "openai")]
)
def test_endpoint_rules_fail_without_zone(rule_id: str, key: str) -> None:
    inst = blueprint()
    drop_zone(inst, key)
    only_flips(inst.rows(), rule_id)


@pytest.mark.parametrize(
    ("rule_id", "role"),
    [("AMLG-212", "keyvault"), ("AMLG-223", "registry"), ("AMLG-233", "openai")],
)
def test_endpoint_rules_fail_when_pending(rule_id: str, role: str) -> None:
    inst = blueprint()
    set_connection_status(inst, role, "Pending")
    findings = scan(inst.rows())
    # The pending connection is also what AMLG-240 reports (it judges integrated accounts too).
    assert not_passing(findings) == {rule_id: {"fail"}, "AMLG-240": {"fail"}}


def test_endpoint_wrong_group_id_does_not_count() -> None:
    inst = blueprint()
    pe = inst.endpoints["keyvault"]["properties"]["privateLinkServiceConnections"][0]
    pe["properties"]["groupIds"] = ["blob"]
    only_flips(inst.rows(), "AMLG-212")


def test_endpoint_status_from_target_side_wins() -> None:
    inst = blueprint()
    # The endpoint's own copy says Approved, the vault's connection says Rejected: Rejected.
    set_connection_status(inst, "keyvault", "Rejected")
    assert one(scan(inst.rows()), "AMLG-212").status is Status.FAIL


# ---------------------------------------------------------------- AMLG-221


@pytest.mark.parametrize("sku", ["Basic", "Standard"])
def test_221_non_premium_fails(sku: str) -> None:
    inst = blueprint()
    inst.registry["sku"] = {"name": sku, "tier": sku}
    f = only_flips(inst.rows(), "AMLG-221")
    assert f.path == "sku.name" and f.actual == sku and f.expected == "Premium"
    assert f"is {sku}" in f.message
    assert "az acr update" in f.remediation and "--sku Premium" in f.remediation


def test_221_absent_sku_fails_and_lower_case_premium_passes() -> None:
    inst = blueprint()
    inst.registry["sku"] = None
    f = only_flips(inst.rows(), "AMLG-221")
    assert f.actual == "absent"
    inst.registry["sku"] = {"name": "premium"}
    all_pass(inst.rows())


# ---------------------------------------------------------------- AMLG-23x AI accounts


@pytest.mark.parametrize("value", [None, ""])
def test_232_custom_subdomain_missing_fails(value: str | None) -> None:
    inst = blueprint()
    if value is None:
        del inst.openai["properties"]["customSubDomainName"]
    else:
        inst.openai["properties"]["customSubDomainName"] = value
    f = only_flips(inst.rows(), "AMLG-232")
    assert f.path == "properties.customSubDomainName"
    assert "no custom subdomain" in f.message


def test_233_endpoint_in_another_vnet_fails() -> None:
    inst = blueprint()
    other = rid(inst.sub, inst.rg, "Microsoft.Network/virtualNetworks", "hub-vnet")
    inst.endpoints["openai"]["properties"]["subnet"]["id"] = f"{other}/subnets/default"
    f = only_flips(inst.rows(), "AMLG-233")
    assert "solution VNet" in f.message


def test_233_vnet_compared_case_insensitively() -> None:
    inst = blueprint()
    subnet = inst.endpoints["openai"]["properties"]["subnet"]
    subnet["id"] = subnet["id"].upper()
    all_pass(inst.rows())


def test_233_ai_services_kind_needs_the_three_foundry_zones() -> None:
    """g1: one account endpoint answers on cognitiveservices, openai and services.ai names."""
    inst = blueprint()
    inst.openai["kind"] = "AIServices"
    f = only_flips(inst.rows(), "AMLG-233")  # its zone group holds the OpenAI zone only
    assert f.resource_id == inst.openai["id"]
    configs = inst.zone_groups["openai"]["properties"]["privateDnsZoneConfigs"]
    for name in ("privatelink.cognitiveservices.azure.com", "privatelink.services.ai.azure.com"):
        zone = rid(inst.sub, inst.rg, "Microsoft.Network/privateDnsZones", name)
        configs.append({"name": name, "properties": {"privateDnsZoneId": zone}})
        inst.extra.append(row(zone, "microsoft.network/privatednszones", "global"))
        inst.extra.append(
            row(
                f"{zone}/virtualNetworkLinks/link",
                "microsoft.network/privatednszones/virtualnetworklinks",
                "global",
                {"virtualNetwork": {"id": inst.vnet["id"]}},
            )
        )
        if name.endswith("services.ai.azure.com"):
            continue
        # two of the three zones are not enough
        only_flips(inst.rows(), "AMLG-233")
    all_pass(inst.rows())


def test_ai_rules_judge_only_integrated_accounts() -> None:
    inst = blueprint()
    # A public OpenAI account in another resource group, not named by any outbound rule.
    inst.extra.append(
        row(
            rid(inst.sub, "other", "Microsoft.CognitiveServices/accounts", "lonely"),
            "microsoft.cognitiveservices/accounts",
            properties={"publicNetworkAccess": "Enabled"},
            kind="OpenAI",
        )
    )
    findings = all_pass(inst.rows())
    assert all("lonely" not in f.resource_id for f in findings)


# ---------------------------------------------------------------- AMLG-240


@pytest.mark.parametrize("status", ["Pending", "Rejected", "Disconnected"])
@pytest.mark.parametrize("role", ["storage", "keyvault", "registry", "openai"])
def test_240_connection_not_approved_fails(status: str, role: str) -> None:
    inst = blueprint()
    res = target(inst, role)
    res["properties"]["privateEndpointConnections"].append(
        {
            "id": f"{res['id']}/privateEndpointConnections/managed-{role}",
            "name": f"managed-{role}",
            "properties": {
                "privateEndpoint": {
                    "id": "/subscriptions/x/resourceGroups/managed/providers/Microsoft.Network/privateEndpoints/m"
                },
                "privateLinkServiceConnectionState": {
                    "status": status.lower() if role == "openai" else status
                },
            },
        }
    )
    f = only_flips(inst.rows(), "AMLG-240")
    assert f.resource_id == res["id"]
    assert f"managed-{role}" in f.message and "1 private endpoint connection" in f.message
    assert "AMLG-106" in f.message
    assert f.actual == [f"{res['id']}/privateEndpointConnections/managed-{role}"]


def test_240_lists_every_unapproved_connection_and_ignores_approved() -> None:
    inst = blueprint()
    conns = inst.keyvault["properties"]["privateEndpointConnections"]
    for name, status in [("a", "Pending"), ("b", "Approved"), ("c", "Rejected")]:
        conns.append(
            {
                "id": f"{inst.keyvault['id']}/privateEndpointConnections/{name}",
                "properties": {
                    "privateEndpoint": {
                        "id": f"/subscriptions/x/resourceGroups/r/providers/Microsoft.Network/privateEndpoints/{name}"
                    },
                    "privateLinkServiceConnectionState": {"status": status},
                },
            }
        )
    f = only_flips(inst.rows(), "AMLG-240")
    assert "2 private endpoint connection(s)" in f.message
    assert ": a, c." in f.message


def test_240_skips_application_insights() -> None:
    inst = blueprint()
    inst.insights["properties"]["privateEndpointConnections"] = [
        {"properties": {"privateLinkServiceConnectionState": {"status": "Pending"}}}
    ]
    findings = all_pass(inst.rows())
    assert {f.resource_id for f in of_rule(findings, "AMLG-240")} == {
        inst.storage["id"],
        inst.keyvault["id"],
        inst.registry["id"],
        inst.openai["id"],
    }
