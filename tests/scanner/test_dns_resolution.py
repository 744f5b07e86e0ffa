"""AMLG-301: DNS that resolves (real-estates 4.2 cases a, b, c; estates e1-e5)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard.scanner.model import Status
from tests.builders import (
    DNS_DESIGNS,
    FIREWALL_IP,
    RESOLVER_IP,
    blueprint,
    connectivity,
    landing_zone,
)
from tests.scanner.harness import all_pass, not_passing, of_rule, only_flips, scan

ZONES = 7


def _estate(design: str = "resolver"):
    hub = connectivity()
    inst = landing_zone(blueprint(), hub, design)
    return inst, hub


def _301(rows: list[dict], **kw: Any) -> list:
    return of_rule(scan(rows, **kw), "AMLG-301")


@pytest.mark.parametrize("design", DNS_DESIGNS)
def test_each_documented_landing_zone_design_passes(design: str) -> None:
    inst, hub = _estate(design)
    findings = all_pass(inst.rows() + hub.rows())
    assert len(of_rule(findings, "AMLG-301")) == ZONES


@pytest.mark.parametrize("design", DNS_DESIGNS)
def test_link_only_mode_is_the_old_check(design: str) -> None:
    inst, hub = _estate(design)
    params = {"AMLG-301": {"dns_resolution": "link_only"}}
    found = _301(inst.rows() + hub.rows(), parameters=params)
    assert {f.status for f in found} == {Status.FAIL} and len(found) == ZONES


def test_unknown_custom_dns_server_fails_every_zone_naming_it() -> None:
    inst, hub = _estate()
    inst.vnet["properties"]["dhcpOptions"]["dnsServers"] = ["192.168.50.10"]
    found = _301(inst.rows() + hub.rows())
    assert {f.status for f in found} == {Status.FAIL} and len(found) == ZONES
    assert all("192.168.50.10" in f.message for f in found)


def test_linked_zone_fails_when_clients_ask_unattributable_servers() -> None:
    """e5: zones linked to the spoke, but the spoke's DNS servers are on-premises."""
    inst = blueprint()
    inst.vnet["properties"]["dhcpOptions"] = {"dnsServers": ["192.168.50.10", "192.168.50.11"]}
    found = _301(inst.rows())
    assert {f.status for f in found} == {Status.FAIL} and len(found) == ZONES
    trusted = [{"ip": ip, "vnet": inst.vnet["id"]} for ip in ("192.168.50.10", "192.168.50.11")]
    all_pass(inst.rows(), parameters={"AMLG-301": {"trusted_dns_servers": trusted}})


def test_dns_server_inside_the_solution_vnet_uses_its_links() -> None:
    inst = blueprint()
    inst.vnet["properties"]["dhcpOptions"] = {"dnsServers": ["10.0.2.10", "168.63.129.16"]}
    all_pass(inst.rows())


def test_trusted_server_in_the_hub_needs_the_peering() -> None:
    inst, hub = _estate()
    inst.vnet["properties"]["dhcpOptions"]["dnsServers"] = ["10.100.9.9"]
    trusted = {"AMLG-301": {"trusted_dns_servers": [{"ip": "10.100.9.9", "vnet": hub.vnet["id"]}]}}
    all_pass(inst.rows() + hub.rows(), parameters=trusted)
    inst.vnet["properties"]["virtualNetworkPeerings"][0]["properties"]["peeringState"] = (
        "Disconnected"
    )
    found = _301(inst.rows() + hub.rows(), parameters=trusted)
    assert {f.status for f in found} == {Status.FAIL}
    assert all("not peered" in f.message for f in found)


@pytest.mark.parametrize("design", ["resolver", "firewall"])
def test_zone_not_linked_to_the_resolver_vnet_fails_alone(design: str) -> None:
    inst, hub = _estate(design)
    del hub.links["privatelink.azurecr.io"]
    f = only_flips(inst.rows() + hub.rows(), "AMLG-301")
    assert f.resource_id.endswith("privatelink.azurecr.io")
    assert "not linked" in f.message and "vnet-hub" in f.message
    assert (RESOLVER_IP if design == "resolver" else FIREWALL_IP) in f.message


def test_firewall_without_dns_proxy_is_not_a_resolver() -> None:
    inst, hub = _estate("firewall")
    policy = next(r for r in hub.network if r["type"] == "microsoft.network/firewallpolicies")
    policy["properties"]["dnsSettings"]["enableProxy"] = False
    found = _301(inst.rows() + hub.rows())
    assert {f.status for f in found} == {Status.FAIL}
    assert all(FIREWALL_IP in f.message for f in found)


def test_disabled_forwarding_rule_fails_that_zone_only() -> None:
    inst, hub = _estate("ruleset")
    hub.rules["privatelink.vaultcore.azure.net"]["properties"]["forwardingRuleState"] = "Disabled"
    f = only_flips(inst.rows() + hub.rows(), "AMLG-301")
    assert f.resource_id.endswith("privatelink.vaultcore.azure.net") and "Disabled" in f.message


def test_parent_domain_rule_covers_the_zones() -> None:
    inst, hub = _estate("ruleset")
    first = next(iter(hub.rules.values()))
    first["properties"]["domainName"] = "."  # a catch-all rule is not a parent domain of a zone
    parent = dict(first, id=first["id"] + "-net", properties=dict(first["properties"]))
    parent["properties"]["domainName"] = "net."
    hub.rules = {"net": parent, "com": dict(parent, id=first["id"] + "-com")}
    hub.rules["com"]["properties"] = dict(parent["properties"], domainName="com.")
    hub.rules["io"] = dict(parent, id=first["id"] + "-io")
    hub.rules["io"]["properties"] = dict(parent["properties"], domainName="io.")
    hub.rules["ms"] = dict(parent, id=first["id"] + "-ms")
    hub.rules["ms"]["properties"] = dict(parent["properties"], domainName="ms.")
    all_pass(inst.rows() + hub.rows())


def test_ruleset_not_linked_to_the_spoke_fails_with_words() -> None:
    inst, hub = _estate("ruleset")
    hub.ruleset_links = []
    found = _301(inst.rows() + hub.rows())
    assert {f.status for f in found} == {Status.FAIL}
    assert all("no DNS forwarding ruleset" in f.message for f in found)


def test_central_zones_outside_the_scan_are_errors_or_skipped_under_a_central_scope() -> None:
    inst, hub = _estate()
    rows = inst.rows() + [r for r in hub.rows() if "privatednszones" not in r["type"]]
    found = _301(rows)
    assert {f.status for f in found} == {Status.ERROR} and len(found) == ZONES
    assert all("central_dns_scopes" in f.message for f in found)
    scope = f"/subscriptions/{hub.sub}/resourceGroups/{hub.rg.upper()}"
    central = {"AMLG-301": {"central_dns_scopes": [scope]}}
    findings = scan(rows, parameters=central)
    assert not_passing(findings) == {"AMLG-301": {"skipped"}}
    assert all("Centrally managed" in f.message for f in of_rule(findings, "AMLG-301"))
    other = {"AMLG-301": {"central_dns_scopes": [f"/subscriptions/{hub.sub}/resourceGroups/x"]}}
    assert {f.status for f in _301(rows, parameters=other)} == {Status.ERROR}


def test_bad_trusted_entry_is_an_error_that_says_what_is_needed() -> None:
    inst = blueprint()
    bad = {"AMLG-301": {"trusted_dns_servers": [{"ip": "not-an-ip"}]}}
    found = _301(inst.rows(), parameters=bad)
    assert {f.status for f in found} == {Status.ERROR}
    assert "needs an 'ip' address" in found[0].message


@settings(derandomize=True, max_examples=60, deadline=None)
@given(
    servers=st.lists(
        st.one_of(st.text(max_size=20), st.ip_addresses().map(str), st.none(), st.integers()),
        max_size=4,
    )
)
def test_any_dns_server_list_gives_a_verdict_never_a_crash(servers: list[Any]) -> None:
    inst = blueprint()
    inst.vnet["properties"]["dhcpOptions"] = {"dnsServers": servers}
    found = _301(inst.rows())
    assert len(found) == ZONES
    # an entry that is not a string cannot be judged (scanner/shapes.py): error, never a pass
    malformed = any(s is not None and not isinstance(s, str) for s in servers)
    expected = {Status.ERROR} if malformed else {Status.PASS, Status.FAIL}
    assert {f.status for f in found} <= expected


def test_landing_zone_examples_give_their_verdicts() -> None:
    from tests import make_examples

    all_pass(make_examples.landing_zone_estate())
    drifted = of_rule(scan(make_examples.landing_zone_drifted()), "AMLG-301")
    failing = [f for f in drifted if f.status is Status.FAIL]
    assert len(failing) == ZONES + 1
    assert sum("not peered" in f.message for f in failing) == ZONES
    (rule,) = [f for f in failing if "Disabled" in f.message]
    assert rule.resource_id.endswith("privatelink.vaultcore.azure.net")
