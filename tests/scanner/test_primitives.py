"""The related sources rules count over: endpoints, role assignments, links, NICs, resources."""

from __future__ import annotations

from typing import Any

import pytest

from amlguard.scanner import assignments, primitives
from amlguard.scanner.context import EvalContext, Undeterminable
from amlguard.scanner.instances import build_instances
from amlguard.scanner.inventory import Inventory
from amlguard.scanner.paths import MISSING
from amlguard.scanner.privatelink import default_table
from tests.builders import Instance, blueprint, rid, role_assignment


def ctx(inst: Instance, resource: dict[str, Any] | None = None) -> EvalContext:
    inv = Inventory(inst.rows())
    (instance,) = build_instances(inv)
    return EvalContext(
        resource=inv.get((resource or inst.workspace)["id"]) or {},
        inventory=inv,
        instance=instance,
        params={},
        private_link=default_table(),
    )


def test_private_endpoints_join_both_sides() -> None:
    inst = blueprint()
    (item,) = primitives.private_endpoints(ctx(inst, inst.keyvault))
    pe = inst.endpoints["keyvault"]
    assert item["id"] == pe["id"] and item["found"] is True
    assert item["groupIds"] == ["vault"] and item["status"] == "Approved"
    assert item["subnetId"] == inst.subnet_id and item["vnetId"] == inst.vnet["id"]
    assert item["zones"] == ["privatelink.vaultcore.azure.net"]


def test_target_side_status_wins_and_unknown_endpoints_are_listed() -> None:
    inst = blueprint()
    conns = inst.keyvault["properties"]["privateEndpointConnections"]
    conns[0]["properties"]["privateLinkServiceConnectionState"]["status"] = "Rejected"
    ghost = "/subscriptions/x/resourceGroups/y/providers/Microsoft.Network/privateEndpoints/ghost"
    conns.append(
        {
            "properties": {
                "privateEndpoint": {"id": ghost},
                "privateLinkServiceConnectionState": {"status": "Pending"},
            }
        }
    )
    items = primitives.private_endpoints(ctx(inst, inst.keyvault))
    assert [(i["name"], i["status"], i["found"]) for i in items] == [
        ("blueprint-pe-keyvault", "Rejected", True),
        ("ghost", "Pending", False),
    ]
    assert items[1]["vnetId"] is MISSING and items[1]["zones"] == []


def test_endpoint_known_only_from_its_own_side() -> None:
    inst = blueprint()
    inst.keyvault["properties"]["privateEndpointConnections"] = []
    (item,) = primitives.private_endpoints(ctx(inst, inst.keyvault))
    assert item["status"] == "Approved" and item["found"] is True


def test_private_endpoints_of_another_target() -> None:
    inst = blueprint()
    items = primitives.private_endpoints(ctx(inst), target=inst.storage["id"].upper())
    assert sorted(i["groupIds"][0] for i in items) == ["blob", "file"]


def test_role_assignments_filter_by_role_and_scope() -> None:
    inst = blueprint()
    other_role = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
    inst.role_assignments.append(
        role_assignment(f"/subscriptions/{inst.sub}", inst.principal_id, other_role)
    )
    c = ctx(inst)
    got = assignments.role_assignments(c, inst.principal_id, inst.storage["id"], None)
    assert len(got) == 2  # no role filter: both
    got = assignments.role_assignments(c, inst.principal_id, inst.storage["id"], other_role.upper())
    assert [g["scope"] for g in got] == [f"/subscriptions/{inst.sub}"]
    elsewhere = rid(inst.sub, "other", "Microsoft.KeyVault/vaults", "kv")
    approver = "b556d68e-0be0-4f35-a333-ad7ee1ce17ea"
    assert assignments.role_assignments(c, inst.principal_id, elsewhere, approver) == []


def test_role_assignments_without_principal() -> None:
    inst = blueprint()
    c = ctx(inst)
    with pytest.raises(Undeterminable, match="principal id"):
        assignments.role_assignments(c, MISSING, inst.storage["id"])
    assert c.instance is not None
    c.instance.primary_identity = None  # no primary identity: nobody holds anything
    assert assignments.role_assignments(c, MISSING, inst.storage["id"]) == []


def test_instance_resources_roles_integrated_and_missing() -> None:
    inst = blueprint()
    c = ctx(inst)
    views = primitives.instance_resources(c, roles=["KEYVAULT"], integrated=True)
    assert [(v["role"], v["found"]) for v in views] == [("keyVault", True), ("integrated", True)]
    assert views[0]["groupIds"] == ["vault"] and views[1]["groupIds"] == ["account"]
    rows = [r for r in inst.rows() if r["id"] != inst.registry["id"]]
    inv = Inventory(rows)
    c2 = EvalContext(
        inv.get(inst.workspace["id"]) or {}, inv, build_instances(inv)[0], {}, default_table()
    )
    views = primitives.instance_resources(c2)
    assert [v["found"] for v in views] == [True, True, False, True]
    with pytest.raises(Undeterminable, match=r"containerRegistry .*blueprintacr"):
        primitives.instance_resources(c2, missing="error")


def test_integrated_view_of_a_resource_not_in_the_inventory() -> None:
    inst = blueprint()
    far = rid(inst.sub, "x", "Microsoft.Search/searchServices", "srch")
    inst.workspace["properties"]["managedNetwork"]["outboundRules"]["s"] = {
        "type": "PrivateEndpoint",
        "category": "UserDefined",
        "destination": {"serviceResourceId": far},
    }
    views = primitives.integrated_resources(ctx(inst))
    assert views[-1] == {
        "id": far,
        "name": "srch",
        "type": "microsoft.search/searchservices",
        "kind": MISSING,
        "found": False,
        "groupIds": ["searchService"],
    }


def test_vnet_links_and_network_interfaces() -> None:
    inst = blueprint()
    zone = inst.zones["privatelink.azurecr.io"]
    (link,) = primitives.vnet_links(ctx(inst, zone))
    assert link["vnetId"] == inst.vnet["id"]
    cfg = inst.nics[0]["properties"]["ipConfigurations"][0]["properties"]
    cfg["publicIPAddress"] = {"id": "/pip"}
    (nic,) = primitives.network_interfaces(ctx(inst, inst.vnet))
    assert nic["publicIpAddressIds"] == ["/pip"]
    assert (
        primitives.network_interfaces(ctx(inst), vnet="/subscriptions/x/virtualNetworks/none") == []
    )


def test_vnet_links_to_one_vnet() -> None:
    inst = blueprint()
    zone = inst.zones["privatelink.azurecr.io"]
    other = "/subscriptions/x/resourceGroups/hub/providers/Microsoft.Network/virtualNetworks/hub"
    (link,) = primitives.vnet_links(ctx(inst, zone), vnet=inst.vnet["id"].upper())
    assert link["vnetId"] == inst.vnet["id"]
    assert primitives.vnet_links(ctx(inst, zone), vnet=other) == []
    # An absent VNet is linked to nothing (not "no filter").
    assert primitives.vnet_links(ctx(inst, zone), vnet=MISSING) == []


def test_a_vnet_filter_given_as_null_matches_nothing() -> None:
    inst = blueprint()
    zone = inst.zones["privatelink.azurecr.io"]
    assert primitives.vnet_links(ctx(inst, zone), vnet=None) == []
    assert primitives.private_endpoints(ctx(inst, inst.registry), vnet=None) == []
    assert len(primitives.private_endpoints(ctx(inst, inst.registry))) == 1
