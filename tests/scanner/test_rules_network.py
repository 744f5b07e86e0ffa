"""AMLG-301/302 and the solution VNet they are judged against."""

from __future__ import annotations

import pytest

from amlguard.scanner.model import Status
from tests.builders import Instance, blueprint, rid, row
from tests.scanner.harness import all_pass, failing, not_passing, of_rule, one, only_flips, scan


def without_solution_vnet() -> Instance:
    """The blueprint with no endpoint on the workspace or its associated resources."""
    inst = blueprint()
    for key in ["workspace", "storage-blob", "storage-file", "keyvault", "registry"]:
        inst.remove_endpoint(key)
    return inst


# ---------------------------------------------------------------- AMLG-301


def test_301_judges_each_zone_the_instance_uses() -> None:
    inst = blueprint()
    findings = all_pass(inst.rows())
    judged = {f.resource_id.rsplit("/", 1)[-1] for f in of_rule(findings, "AMLG-301")}
    assert judged == set(inst.zones)
    assert len(judged) == 7


def test_301_unlinked_zone_fails_for_that_zone_only() -> None:
    inst = blueprint()
    del inst.links["privatelink.azurecr.io"]
    f = only_flips(inst.rows(), "AMLG-301")
    assert f.resource_id == inst.zones["privatelink.azurecr.io"]["id"]
    assert "privatelink.azurecr.io" in f.message and "blueprint-mlw" in f.message
    assert "az network private-dns link vnet create" in f.remediation


def test_301_link_to_another_vnet_fails() -> None:
    inst = blueprint()
    other = rid(inst.sub, inst.rg, "Microsoft.Network/virtualNetworks", "hub")
    inst.links["privatelink.vaultcore.azure.net"]["properties"]["virtualNetwork"]["id"] = other
    f = only_flips(inst.rows(), "AMLG-301")
    assert f.resource_id.endswith("privatelink.vaultcore.azure.net")


def test_301_extra_links_and_case_do_not_matter() -> None:
    inst = blueprint()
    link = inst.links["privatelink.azurecr.io"]
    link["properties"]["virtualNetwork"]["id"] = inst.vnet["id"].upper()
    inst.extra.append(
        row(
            inst.zones["privatelink.azurecr.io"]["id"] + "/virtualNetworkLinks/hub",
            "microsoft.network/privatednszones/virtualnetworklinks",
            "global",
            {
                "virtualNetwork": {
                    "id": rid(inst.sub, "hub", "Microsoft.Network/virtualNetworks", "hub")
                }
            },
        )
    )
    all_pass(inst.rows())


def test_301_zone_used_but_not_in_inventory_is_error() -> None:
    inst = blueprint()
    zone = inst.zones.pop("privatelink.azurecr.io")
    findings = scan(inst.rows())
    f = next(f for f in of_rule(findings, "AMLG-301") if f.resource_id == zone["id"])
    assert f.status is Status.ERROR
    assert "outside the scan scope or deleted" in f.message


def test_301_unused_zone_is_not_judged() -> None:
    inst = blueprint()
    zid = rid(
        inst.sub, inst.rg, "Microsoft.Network/privateDnsZones", "privatelink.queue.core.windows.net"
    )
    inst.extra.append(row(zid, "microsoft.network/privatednszones", "global"))
    findings = all_pass(inst.rows())
    assert zid not in {f.resource_id for f in findings}


# ---------------------------------------------------------------- AMLG-302


def test_302_public_ip_on_nic_in_solution_vnet_fails() -> None:
    inst = blueprint()
    pip = rid(inst.sub, inst.rg, "Microsoft.Network/publicIPAddresses", "jumphost-pip")
    cfg = inst.nics[0]["properties"]["ipConfigurations"][0]["properties"]
    cfg["publicIPAddress"] = {"id": pip}
    f = only_flips(inst.rows(), "AMLG-302")
    assert f.resource_id == inst.vnet["id"]
    assert "1 network interface(s)" in f.message and "blueprint-jumphost-nic" in f.message
    assert f.actual == [inst.nics[0]["id"]]


def test_302_public_ip_outside_the_solution_vnet_is_ignored() -> None:
    inst = blueprint()
    other = rid(inst.sub, inst.rg, "Microsoft.Network/virtualNetworks", "dmz")
    inst.nics.append(
        row(
            rid(inst.sub, inst.rg, "Microsoft.Network/networkInterfaces", "web-nic"),
            "microsoft.network/networkinterfaces",
            properties={
                "ipConfigurations": [
                    {
                        "properties": {
                            "subnet": {"id": f"{other}/subnets/web"},
                            "publicIPAddress": {"id": "/subscriptions/x/pip"},
                        }
                    }
                ]
            },
        )
    )
    all_pass(inst.rows())


def test_302_only_the_ip_configuration_in_the_vnet_counts() -> None:
    inst = blueprint()
    other = rid(inst.sub, inst.rg, "Microsoft.Network/virtualNetworks", "dmz")
    inst.nics[0]["properties"]["ipConfigurations"].append(
        {
            "properties": {
                "subnet": {"id": f"{other}/subnets/web"},
                "publicIPAddress": {"id": "/x/pip"},
            }
        }
    )
    all_pass(inst.rows())


def test_302_vnet_row_is_not_needed() -> None:
    inst = blueprint()
    cfg = inst.nics[0]["properties"]["ipConfigurations"][0]["properties"]
    cfg["publicIPAddress"] = {"id": "/x/pip"}
    rows = [r for r in inst.rows() if r["id"] != inst.vnet["id"]]
    f = one(scan(rows), "AMLG-302")
    assert f.status is Status.FAIL and f.resource_id == inst.vnet["id"]


# ---------------------------------------------------------------- no solution VNet


@pytest.mark.parametrize("rule_id", ["AMLG-233", "AMLG-301", "AMLG-302"])
def test_no_solution_vnet_skips_with_a_clear_reason(rule_id: str) -> None:
    inst = without_solution_vnet()
    findings = scan(inst.rows())
    f = one(findings, rule_id)
    assert f.status is Status.SKIPPED
    judged = inst.openai if rule_id == "AMLG-233" else inst.workspace
    assert f.resource_id == judged["id"]
    assert "no solution VNet could be determined" in f.message
    assert "solution_subnet" in f.message


def test_no_solution_vnet_fails_the_endpoint_rules() -> None:
    findings = scan(without_solution_vnet().rows())
    # The instance still fails (no inbound endpoint), so skipping 233/301/302 hides nothing.
    assert failing(findings) == {"AMLG-109", "AMLG-202", "AMLG-212", "AMLG-223"}
    assert not_passing(findings)["AMLG-301"] == {"skipped"}


def test_configured_solution_subnet_brings_the_network_rules_back() -> None:
    inst = without_solution_vnet()
    findings = scan(inst.rows(), solution_subnet=inst.subnet_id)
    assert one(findings, "AMLG-302").status is Status.PASS
    assert one(findings, "AMLG-233").status is Status.PASS
    assert {f.status for f in of_rule(findings, "AMLG-301")} == {Status.PASS}


def test_301_in_a_hub_zone_shared_by_many_instances() -> None:
    hub: dict[str, dict] = {}
    spokes = [blueprint(prefix=f"spoke{i}", rg=f"rg-spoke{i}") for i in range(3)]
    for spoke in spokes:
        spoke.use_hub_zones(hub, spokes[0].sub)
    del spokes[1].links["privatelink.azurecr.io"]  # spoke 1's VNet lost its link to one zone
    rows = [r for spoke in spokes for r in spoke.rows()] + list(hub.values())
    findings = of_rule(scan(rows), "AMLG-301")
    assert len(findings) == 3 * 7  # each spoke judges the seven hub zones
    (f,) = [f for f in findings if f.status is not Status.PASS]
    assert f.status is Status.FAIL and f.instance == spokes[1].workspace["id"]
    assert f.resource_id == hub["privatelink.azurecr.io"]["id"]
    assert "resolves" in str(f.expected) and "not linked" in f.message
