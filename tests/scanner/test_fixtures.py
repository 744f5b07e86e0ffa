"""Real Azure payloads (azure-rest-api-specs examples) load as rows and get the verdicts their
content implies. The bodies are taken from the spec files as they are; where a test links two
payloads (a registry to a workspace), it changes only the linking id and says so."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from amlguard.scanner.inventory import Inventory
from amlguard.scanner.model import Finding, Status
from tests.builders import blueprint
from tests.conftest import FIXTURES
from tests.scanner.harness import all_pass, instances, not_passing, of_rule, one, scan

Row = dict[str, Any]


def _fixtures_dir() -> Path:
    """``tests/conftest.py: FIXTURES``; missing payloads fail the suite rather than skip it."""
    if not FIXTURES.is_dir():
        pytest.fail(f"real Azure payloads not found at {FIXTURES}")
    return FIXTURES


def spec(path: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((_fixtures_dir() / path).read_text(encoding="utf-8"))
    return data


def body(path: str, status: str = "200") -> Row:
    """The response body of a spec example (a fresh copy)."""
    return copy.deepcopy(spec(path)["responses"][status]["body"])


WS_GET = "machinelearningservices/2024-10-01-preview/Workspace/get.json"
WS_CREATE = "machinelearningservices/2024-10-01/Workspace/create.json"
WS_UPDATE = "machinelearningservices/2024-10-01/Workspace/update.json"
REGISTRY = "containerregistry/2023-07-01/RegistryGet.json"
VAULT = "keyvault/2023-07-01/getVault.json"
PE_GET = "network/2024-05-01/PrivateEndpointGet.json"
PE_CREATE = "network/2024-05-01/PrivateEndpointCreate.json"
ZONE_GROUP = "network/2024-05-01/PrivateEndpointDnsZoneGroupGet.json"
RA_GET = "authorization/2022-04-01/RoleAssignments_Get.json"
RA_LIST = "authorization/2022-04-01/RoleAssignments_ListForScope.json"
RA_CREATE_RG = "authorization/2022-04-01/RoleAssignments_CreateForResourceGroup.json"
RA_CREATE_RES = "authorization/2022-04-01/RoleAssignments_CreateForResource.json"
CONNECTIONS = [
    "storage/2024-01-01/StorageAccountGetPrivateEndpointConnection.json",
    "cognitiveservices/2024-10-01/GetPrivateEndpointConnection.json",
    "keyvault/2023-07-01/getPrivateEndpointConnection.json",
]
ARG_QUERIES = [
    "resourcegraph/2024-04-01/ResourcesBasicQuery.json",
    "resourcegraph/2024-04-01/ResourcesFirstPageQuery.json",
    "resourcegraph/2024-04-01/ResourcesNextPageQuery.json",
]


def statuses(findings: list[Finding]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for f in findings:
        out.setdefault(f.rule_id, set()).add(f.status.value)
    return out


@pytest.mark.parametrize(
    "path",
    [
        WS_GET,
        WS_CREATE,
        WS_UPDATE,
        REGISTRY,
        VAULT,
        PE_GET,
        PE_CREATE,
        ZONE_GROUP,
        RA_GET,
        *CONNECTIONS,
    ],
)
def test_arm_bodies_load_as_rows(path: str) -> None:
    raw = body(path)
    inv = Inventory([raw])
    (row,) = list(inv)
    assert row["type"] == row["type"].lower() and row["type"]
    assert inv.get(raw["id"].upper()) is row
    assert row["subscriptionId"] and row["subscriptionId"] in raw["id"]
    assert raw == body(path), "normalising a row must not modify the caller's dict"


def test_arm_body_without_type_gets_it_from_the_id() -> None:
    raw = body(PE_CREATE)
    assert "type" not in raw
    (row,) = list(Inventory([raw]))
    assert row["type"] == "microsoft.network/privateendpoints"
    assert row["resourceGroup"] == "rg1"


@pytest.mark.parametrize("path", ARG_QUERIES)
def test_resource_graph_pages_load_and_give_no_findings(path: str) -> None:
    rows = body(path)["data"]
    assert len(Inventory(rows)) == len(rows)
    assert scan(rows) == []


# ---------------------------------------------------------------- workspace GET (preview)


def test_workspace_get_verdicts() -> None:
    ws = body(WS_GET)
    findings = scan([ws])
    got = statuses(findings)
    # publicNetworkAccess Disabled, allowPublicAccessWhenBehindVnet false.
    assert got["AMLG-101"] == {"pass"}
    assert got["AMLG-102"] == {"pass"}  # AllowOnlyApprovedOutbound
    # Active; sparkReady false is fine: its only outbound rule is an FQDN rule without spark.
    assert got["AMLG-103"] == {"pass"}
    assert got["AMLG-104"] == {"pass"}  # nothing integrated
    # A user-assigned identity is attached, but none is primary.
    f105 = one(findings, "AMLG-105")
    assert f105.status is Status.FAIL and f105.path == "properties.primaryUserAssignedIdentity"
    assert got["AMLG-106"] == {"fail"}
    assert got["AMLG-107"] == {"pass"}  # private workspace with imageBuildCompute testcompute
    # The four linked ids are not in this one-row inventory: error, never a pass.
    f108 = one(findings, "AMLG-108")
    assert f108.status is Status.ERROR and "outside the scan scope or deleted" in f108.message
    for name in ("testRegistry", "testkv", "testinsights", "testStorageAccount"):
        assert name in f108.message
    # The Approved connection names petest01, which is not in the inventory.
    assert got["AMLG-109"] == {"fail"}
    for rule_id in (
        "AMLG-201",
        "AMLG-202",
        "AMLG-211",
        "AMLG-212",
        "AMLG-221",
        "AMLG-222",
        "AMLG-223",
        "AMLG-240",
    ):
        assert got[rule_id] == {"error"}, rule_id
    # Its inbound endpoint petest01 is not scanned: where the solution VNet is, is unknown
    # (error), not "there is none" (a skip, exit 0).
    assert got["AMLG-301"] == got["AMLG-302"] == {"error"}
    assert "petest01" in one(findings, "AMLG-301").message
    assert "AMLG-231" not in got  # nothing integrated


def test_workspace_create_response_verdicts() -> None:
    findings = scan([body(WS_CREATE)])
    got = statuses(findings)
    assert got["AMLG-101"] == {"pass"}
    # No managedNetwork in the create response: not isolated, not provisioned.
    f102 = one(findings, "AMLG-102")
    assert f102.status is Status.FAIL and f102.actual == "absent"
    assert got["AMLG-103"] == {"fail"}
    # Private workspace without imageBuildCompute.
    assert got["AMLG-107"] == {"fail"}
    assert got["AMLG-109"] == {"fail"}


def test_workspace_update_response_system_assigned_only() -> None:
    findings = scan([body(WS_UPDATE)])
    f105 = one(findings, "AMLG-105")
    assert f105.status is Status.FAIL and f105.actual == "SystemAssigned"
    f106 = one(findings, "AMLG-106")
    assert f106.status is Status.FAIL
    assert "testStorageAccount" in f106.message and "testkv" in f106.message


def test_workspace_create_request_body_is_a_workspace_without_id() -> None:
    request = spec(WS_CREATE)["parameters"]["parameters"]
    assert "id" not in request
    # A request body is not an inventory row (no id): it is ignored, not misjudged.
    assert scan([request]) == []


# ---------------------------------------------------------------- linked resources


def linked(ws: Row, role: str, resource: Row) -> Row:
    """Point the workspace's ``role`` link at a real payload's id (the only change made)."""
    ws["properties"][role] = resource["id"]
    return ws


def test_registry_get_standard_sku_fails_221_when_linked() -> None:
    registry = body(REGISTRY)
    ws = linked(body(WS_GET), "containerRegistry", registry)
    findings = scan([ws, registry])
    f221 = one(findings, "AMLG-221")
    assert f221.status is Status.FAIL
    assert f221.resource_id == registry["id"] and f221.actual == "Standard"
    assert "myRegistry is Standard" in f221.message
    assert one(findings, "AMLG-222").actual == "Enabled"
    assert one(findings, "AMLG-223").status is Status.FAIL
    (f240,) = [f for f in of_rule(findings, "AMLG-240") if f.resource_id == registry["id"]]
    assert f240.status is Status.PASS  # privateEndpointConnections: []


def test_registry_get_not_linked_is_not_judged() -> None:
    findings = scan([body(WS_GET), body(REGISTRY)])
    assert body(REGISTRY)["id"] not in {f.resource_id for f in findings}


def test_vault_get_public_fails_211_and_212_when_linked() -> None:
    vault = body(VAULT)
    ws = linked(body(WS_GET), "keyVault", vault)
    findings = scan([ws, vault])
    f211 = one(findings, "AMLG-211")
    assert f211.status is Status.FAIL and f211.actual == "Enabled"
    assert f211.resource_id == vault["id"]
    assert one(findings, "AMLG-212").status is Status.FAIL


@pytest.mark.parametrize("path", CONNECTIONS)
def test_real_private_endpoint_connections_are_approved(path: str) -> None:
    inst = blueprint()
    connection = body(path)
    for target in (inst.storage, inst.keyvault, inst.registry, inst.openai):
        target["properties"]["privateEndpointConnections"].append(copy.deepcopy(connection))
    all_pass(inst.rows())
    state = connection["properties"]["privateLinkServiceConnectionState"]
    state["status"] = "Pending"
    inst.keyvault["properties"]["privateEndpointConnections"].append(connection)
    f = only_240(inst.rows())
    assert connection["id"] in f.actual


def only_240(rows: list[Row]) -> Finding:
    findings = scan(rows)
    assert not_passing(findings) == {"AMLG-240": {"fail"}}
    return one([f for f in findings if f.status is Status.FAIL], "AMLG-240")


def test_workspace_connection_list_feeds_the_inbound_endpoint_check() -> None:
    ws = body(WS_GET)
    ws["properties"]["privateEndpointConnections"] = body(
        "machinelearningservices/2024-10-01/PrivateEndpointConnection/list.json"
    )["value"]
    findings = scan([ws])
    f = one(findings, "AMLG-109")
    assert f.status is Status.FAIL  # Approved, but petest01 is not in the inventory


# ---------------------------------------------------------------- private endpoint + zone group


def inbound_endpoint(ws: Row) -> Row:
    """PrivateEndpointGet, renamed to the endpoint the workspace's connection names and
    pointed at the workspace (group amlworkspace); everything else as Azure returned it."""
    pe = body(PE_GET)
    pe["id"] = ws["properties"]["privateEndpointConnections"][0]["properties"]["privateEndpoint"][
        "id"
    ]
    conn = pe["properties"]["privateLinkServiceConnections"][0]["properties"]
    conn["privateLinkServiceId"] = ws["id"]
    conn["groupIds"] = ["amlworkspace"]
    return pe


def test_private_endpoint_get_sets_the_solution_subnet() -> None:
    ws = body(WS_GET)
    pe = inbound_endpoint(ws)
    (inst,) = instances([ws, pe])
    assert inst.solution_subnet == pe["properties"]["subnet"]["id"]
    assert str(inst.solution_vnet).endswith("/virtualNetworks/myVnet")
    findings = scan([ws, pe])
    assert one(findings, "AMLG-302").status is Status.PASS  # no NIC with a public IP in myVnet
    assert of_rule(findings, "AMLG-301") == []  # no DNS zone group: no zones used
    assert one(findings, "AMLG-109").status is Status.FAIL  # no zone group


def test_zone_group_with_other_zones_fails_109_and_301_cannot_find_the_zones() -> None:
    ws = body(WS_GET)
    pe = inbound_endpoint(ws)
    group = body(ZONE_GROUP)
    # The spec example's id names a privateLinkServices parent; re-parent it under the endpoint.
    group["id"] = pe["id"] + "/privateDnsZoneGroups/" + group["name"]
    findings = scan([ws, pe, group])
    assert one(findings, "AMLG-109").status is Status.FAIL  # zone1.com/zone2.com, not azureml
    f301 = of_rule(findings, "AMLG-301")
    assert sorted(f.resource_id.rsplit("/", 1)[-1] for f in f301) == ["zone1.com", "zone2.com"]
    assert {f.status for f in f301} == {Status.ERROR}


# ---------------------------------------------------------------- role assignments


@pytest.mark.parametrize("path", [RA_GET, RA_CREATE_RG, RA_CREATE_RES])
def test_role_assignment_scope_derived_from_id_matches_azure(path: str) -> None:
    raw = next(
        iter(b for b in spec(path)["responses"].values() if isinstance(b.get("body"), dict))
    )["body"]
    scope = raw["properties"]["scope"]
    stripped = copy.deepcopy(raw)
    del stripped["properties"]["scope"]
    (row,) = list(Inventory([stripped]))
    assert row["type"] == "microsoft.authorization/roleassignments"
    assert row["properties"]["scope"].lower() == scope.lower()


def test_role_assignment_list_indexes_by_principal() -> None:
    value = body(RA_LIST)["value"]
    inv = Inventory(value)
    principal = value[0]["properties"]["principalId"]
    assert inv.assignments_by_principal[principal.lower()] == [inv.get(value[0]["id"])]


def test_real_role_assignment_of_another_role_does_not_cover() -> None:
    inst = blueprint()
    ra = body(RA_GET)
    # Same principal and a covering scope, but the spec's role (0b5fe924...) is not the approver.
    ra["properties"]["principalId"] = inst.principal_id
    ra["properties"]["scope"] = f"/subscriptions/{inst.sub}"
    inst.role_assignments = [ra]
    findings = scan(inst.rows())
    assert not_passing(findings) == {"AMLG-106": {"fail"}}
