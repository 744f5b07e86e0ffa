"""The inventory: row normalisation and the indexes every relation is looked up in."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from amlguard.scanner import ids
from amlguard.scanner.inventory import Inventory, _group_key, normalize_row
from tests.builders import APPROVER_ROLE, blueprint, rid, role_assignment, row


def test_arm_body_becomes_a_row() -> None:
    arm = {
        "id": "/subscriptions/S1/resourceGroups/My-RG/providers/Microsoft.KeyVault/vaults/kv",
        "type": "Microsoft.KeyVault/vaults",
        "properties": {},
    }
    got = normalize_row(arm)
    assert got["type"] == "microsoft.keyvault/vaults"
    assert got["subscriptionId"] == "S1" and got["resourceGroup"] == "my-rg"
    assert got["name"] == "kv"
    assert "resourceGroup" not in arm  # the caller's dict is left alone


def test_resource_graph_row_is_kept() -> None:
    r = row(
        rid("s", "rg", "Microsoft.Storage/storageAccounts", "st"),
        "microsoft.storage/storageaccounts",
    )
    r["resourceGroup"] = "RG-as-ARG-says"
    assert normalize_row(r)["resourceGroup"] == "RG-as-ARG-says"


def test_role_assignment_scope_from_its_id() -> None:
    root = normalize_row(
        {
            "id": "/providers/Microsoft.Authorization/roleAssignments/abc",
            "type": "Microsoft.Authorization/roleAssignments",
            "properties": {"principalId": "P", "roleDefinitionId": APPROVER_ROLE},
        }
    )
    assert root["properties"]["scope"] == "/"
    ra = role_assignment(
        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st", "p"
    )
    del ra["properties"]["scope"]
    assert normalize_row(ra)["properties"]["scope"].endswith("/storageAccounts/st")


def test_later_row_with_the_same_id_wins_case_insensitively() -> None:
    first = row(
        rid("s", "rg", "Microsoft.Storage/storageAccounts", "st"),
        "microsoft.storage/storageaccounts",
        properties={"v": 1},
    )
    second = {**first, "id": first["id"].upper(), "properties": {"v": 2}}
    inv = Inventory([first, second])
    assert len(inv) == 1
    got = inv.get(first["id"])
    assert got is not None and got["properties"] == {"v": 2}
    assert len(inv.of_type("Microsoft.Storage/storageAccounts")) == 1


def test_rows_without_id_are_ignored() -> None:
    assert len(Inventory([{"type": "x"}, {"id": "", "type": "y"}])) == 0


def test_indexes() -> None:
    inst = blueprint()
    inv = Inventory(inst.rows())
    # endpoint side: target id -> (endpoint, connection)
    pairs = inv.endpoints_by_target[inst.storage["id"].lower()]
    assert sorted(pe["name"] for pe, _ in pairs) == [
        "blueprint-pe-storage-blob",
        "blueprint-pe-storage-file",
    ]
    pe_id = inst.endpoints["keyvault"]["id"]
    assert [g["id"] for g in inv.zone_groups_by_endpoint[pe_id.lower()]] == [
        inst.zone_groups["keyvault"]["id"]
    ]
    zone = inst.zones["privatelink.azurecr.io"]["id"]
    assert [link["id"] for link in inv.links_by_zone[zone.lower()]] == [
        inst.links["privatelink.azurecr.io"]["id"]
    ]
    assert [n["id"] for n in inv.nics_by_vnet[inst.vnet["id"].lower()]] == [inst.nics[0]["id"]]
    assert [ra["id"] for ra in inv.assignments_by_principal[inst.principal_id.lower()]] == [
        inst.role_assignments[0]["id"]
    ]
    assert inst.workspace["id"] in {
        r["id"]
        for r in inv.in_resource_group(
            f"/SUBSCRIPTIONS/{inst.sub}/resourcegroups/{inst.rg.upper()}"
        )
    }


def test_manual_connections_and_multi_config_nics() -> None:
    inst = blueprint()
    pe = inst.endpoints["registry"]["properties"]
    pe["manualPrivateLinkServiceConnections"] = pe.pop("privateLinkServiceConnections")
    nic = inst.nics[0]["properties"]
    nic["ipConfigurations"].append(
        {"properties": {"subnet": {"id": f"{inst.vnet['id'].upper()}/subnets/snet-endpoints"}}}
    )
    inv = Inventory(inst.rows())
    assert len(inv.endpoints_by_target[inst.registry["id"].lower()]) == 1
    assert len(inv.nics_by_vnet[inst.vnet["id"].lower()]) == 1  # one NIC, listed once


def test_relations_come_from_the_winning_row_only() -> None:
    inst = blueprint()
    rows = inst.rows()
    pe = inst.endpoints["keyvault"]
    # A later snapshot says the endpoint now points at the storage account instead.
    moved = {
        **pe,
        "id": pe["id"].upper(),
        "properties": {
            **pe["properties"],
            "privateLinkServiceConnections": [
                {"properties": {"privateLinkServiceId": inst.storage["id"], "groupIds": ["blob"]}}
            ],
        },
    }
    inv = Inventory([*rows, moved])
    assert len(inv) == len(rows)
    assert inst.keyvault["id"].lower() not in inv.endpoints_by_target
    by_storage = [p["id"] for p, _ in inv.endpoints_by_target[inst.storage["id"].lower()]]
    assert by_storage.count(moved["id"]) == 1 and pe["id"] not in by_storage
    endpoints = inv.of_type("microsoft.network/privateendpoints")
    assert sum(1 for r in endpoints if r["id"].lower() == pe["id"].lower()) == 1


_SEGMENT = st.sampled_from(
    ["subscriptions", "resourceGroups", "RESOURCEGROUPS", "s1", "RG", " rg ", "", "providers", "x"]
)


@given(st.lists(_SEGMENT, max_size=7), st.sampled_from(["", "/", " ", "/ "]))
def test_group_key_agrees_with_the_general_parser(segments: list[str], tail: str) -> None:
    resource_id = "/" + "/".join(segments) + tail
    expected = ids.norm(ids.resource_group_scope(resource_id))
    assert _group_key(resource_id, ids.norm(resource_id)) == expected


def test_rows_in_a_scope_by_type() -> None:
    a, b = blueprint(prefix="a", rg="rg-a"), blueprint(prefix="b", rg="rg-b")
    inv = Inventory(a.rows() + b.rows())
    group = f"/SUBSCRIPTIONS/{a.sub}/resourceGroups/RG-A"
    accounts = inv.in_scope(group, ["Microsoft.CognitiveServices/accounts"])
    assert [r["id"] for r in accounts] == [a.openai["id"]]
    both = inv.in_scope(f"/subscriptions/{a.sub}", ["microsoft.cognitiveservices/accounts"])
    assert [r["id"] for r in both] == [a.openai["id"], b.openai["id"]]
    everything = {r["id"] for r in inv.in_scope(group)}
    assert a.workspace["id"] in everything and b.workspace["id"] not in everything
    assert inv.in_scope(group, ["microsoft.nothing/here"]) == []
