"""Rows holding ids unknown before deployment (what template sources produce): a link's VNet,
a zone group's zone id, an endpoint's target. Each is an ``error`` naming the unknown where it
is used, never "not linked" / "no private endpoint", and never a crash of the inventory build
(redteam6 items 9 and 10)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard.scanner.unknown import Unknown
from tests.builders import blueprint
from tests.scanner.harness import all_pass, not_passing, of_rule, scan

LATER = Unknown("reference(hub).outputs.vnetId", where="main.json:7")


def test_the_blueprint_passes() -> None:
    all_pass(blueprint().rows())


def test_a_link_to_an_unknown_vnet_errs_naming_it() -> None:
    inst = blueprint()
    zone, link = next(iter(inst.links.items()))
    link["properties"]["virtualNetwork"]["id"] = LATER
    findings = scan(inst.rows())
    assert not_passing(findings) == {"AMLG-301": {"error"}}
    (f,) = [f for f in of_rule(findings, "AMLG-301") if f.status.value == "error"]
    assert f.resource_id.lower().endswith(zone.lower())
    assert "reference(hub).outputs.vnetId" in f.message and "virtualNetwork.id" in f.message


def test_an_unknown_link_beside_a_known_one_changes_nothing() -> None:
    inst = blueprint()
    link = next(iter(inst.links.values()))
    other = {**link, "id": link["id"] + "-hub", "name": "hub"}
    other["properties"] = {**link["properties"], "virtualNetwork": {"id": LATER}}
    all_pass([*inst.rows(), other])


def test_an_unknown_zone_id_errs_for_the_endpoint_rule() -> None:
    inst = blueprint()
    group = inst.zone_groups[next(k for k in inst.zone_groups if "vault" in k)]
    group["properties"]["privateDnsZoneConfigs"][0]["properties"]["privateDnsZoneId"] = LATER
    statuses = not_passing(scan(inst.rows()))
    assert statuses.get("AMLG-212") == {"error"}, statuses
    assert all(s == {"error"} for s in statuses.values()), statuses


def test_an_unknown_endpoint_target_errs_where_its_group_could_serve() -> None:
    inst = blueprint()
    pe = inst.endpoints[next(k for k in inst.endpoints if "vault" in k)]
    pe["properties"]["privateLinkServiceConnections"][0]["properties"]["privateLinkServiceId"] = (
        LATER
    )
    findings = scan(inst.rows())
    statuses = not_passing(findings)
    assert statuses == {"AMLG-212": {"error"}}, statuses
    assert "privateLinkServiceId" in of_rule(findings, "AMLG-212")[0].message


@settings(derandomize=True, max_examples=25, deadline=None)
@given(
    where=st.sampled_from(["link", "zone", "target", "dest"]),
    key=st.text(min_size=1, max_size=12),
)
def test_any_unknown_reference_is_an_error_never_a_pass_or_fail(where: str, key: str) -> None:
    inst = blueprint()
    value = Unknown(key)
    if where == "link":
        for link in inst.links.values():
            link["properties"]["virtualNetwork"]["id"] = value
    elif where == "zone":
        for group in inst.zone_groups.values():
            group["properties"]["privateDnsZoneConfigs"][0]["properties"]["privateDnsZoneId"] = (
                value
            )
    elif where == "target":
        for pe in inst.endpoints.values():
            conn = pe["properties"]["privateLinkServiceConnections"][0]["properties"]
            conn["privateLinkServiceId"] = value
    else:
        rules = inst.workspace["properties"]["managedNetwork"].setdefault("outboundRules", {})
        rules["later"] = {
            "type": "PrivateEndpoint",
            "category": "UserDefined",
            "status": "Active",
            "destination": {"serviceResourceId": value, "subresourceTarget": "account"},
        }
    statuses = not_passing(scan(inst.rows()))
    assert statuses, "an unknown reference cannot pass everything"
    assert all(s == {"error"} for s in statuses.values()), statuses
