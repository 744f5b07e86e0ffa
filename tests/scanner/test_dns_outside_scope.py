"""AMLG-301 when what resolves the zones lies outside the scan (issue 12 point 3): the resolver,
its inbound endpoint, the firewall and its policy, the forwarding ruleset and the peered hub VNet
are fetched by id (Resource Graph, ARM for ruleset children), only for what the scanned
instances need; what cannot be read makes the finding ``error`` naming it, never ``fail``.

Builder rows judge the same estates in-process (the snapshot path), the emulator live through
the real SDK clients."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from amlguard.scanner import ids
from amlguard.scanner.model import Status
from amlguard.scanner.sources.snapshot import SnapshotSource
from tests.builders import DNS_DESIGNS, RESOLVER_IP, blueprint, connectivity, landing_zone
from tests.emulator import arg
from tests.emulator.live import findings, source
from tests.emulator.live import scan as live_scan
from tests.emulator.server import Emulator
from tests.make_examples import SUB_A, SUB_B
from tests.scanner.harness import not_passing, of_rule, scan

SUB_C = "0c0c0c0c-1d1d-4e4e-8f8f-a0a0a0a0a0a0"
NETWORK_TYPES = ("virtualNetworks", "dnsResolvers", "azureFirewalls", "firewallPolicies",
                 "dnsForwardingRulesets")  # fmt: skip


def _estate(design: str, network_sub: str = SUB_B) -> list[dict[str, Any]]:
    """A spoke workspace in SUB_A whose zones live in SUB_B, resolved by a hub network (VNet,
    resolver, firewall, ruleset) in ``network_sub``."""
    hub = connectivity(sub=SUB_B)
    inst = landing_zone(blueprint(SUB_A), hub, design)
    rows = inst.rows() + hub.rows()
    if network_sub == SUB_B:
        return rows
    text = json.dumps(rows)
    for kind in NETWORK_TYPES:
        old = f"/subscriptions/{SUB_B}/resourceGroups/{hub.rg}/providers/Microsoft.Network/{kind}/"
        text = text.replace(old, old.replace(SUB_B, network_sub))
    moved = json.loads(text)
    for r in moved:
        r["subscriptionId"] = ids.parse(r["id"]).subscription_id
    return moved


def _zones(found: list) -> list:
    return of_rule(found, "AMLG-301")


@pytest.mark.parametrize("design", DNS_DESIGNS)
def test_each_design_passes_with_the_hub_in_another_subscription(design: str) -> None:
    found = scan(_estate(design, SUB_C))
    assert not_passing(found) == {}
    assert len(_zones(found)) == 7


def test_hub_vnet_unread_is_an_error_naming_it() -> None:
    rows = _estate("resolver", SUB_C)
    hub_vnet = next(r for r in rows if r["type"] == "microsoft.network/virtualnetworks"
                    and r["subscriptionId"] == SUB_C)  # fmt: skip
    rows = [r for r in rows if ids.parse(r["id"]).subscription_id != SUB_C]
    zones = _zones(scan(rows))
    assert {f.status for f in zones} == {Status.ERROR}
    assert all(hub_vnet["id"] in f.message for f in zones)


def test_firewall_policy_unread_is_an_error_naming_it() -> None:
    rows = _estate("firewall")
    policy = next(r for r in rows if r["type"] == "microsoft.network/firewallpolicies")
    rows = [r for r in rows if r is not policy]
    zones = _zones(scan(rows))
    assert {f.status for f in zones} == {Status.ERROR}
    assert all(policy["id"] in f.message and "DNS proxy" in f.message for f in zones)


def test_solution_vnet_unread_is_an_error_naming_it() -> None:
    rows = _estate("resolver")
    spoke = next(r for r in rows if r["type"] == "microsoft.network/virtualnetworks"
                 and r["subscriptionId"] == SUB_A)  # fmt: skip
    zones = _zones(scan([r for r in rows if r is not spoke]))
    assert {f.status for f in zones} == {Status.ERROR}
    assert all(spoke["id"] in f.message for f in zones)


def test_resolver_read_but_not_the_spokes_server_still_fails() -> None:
    """Everything was read: an unknown DNS server is a finding (fail), not a gap."""
    rows = _estate("resolver", SUB_C)
    spoke = next(r for r in rows if r["subscriptionId"] == SUB_A
                 and r["type"] == "microsoft.network/virtualnetworks")  # fmt: skip
    spoke["properties"]["dhcpOptions"]["dnsServers"] = ["10.100.1.99"]
    assert not_passing(scan(rows)) == {"AMLG-301": {"fail"}}


# ---------------------------------------------------------------- live (emulator, real SDK)


def _live(rows: list[dict], forbidden: set[str] = frozenset(), **kw: Any):
    with Emulator(rows) as emu:
        arg.install(emu, forbidden=set(forbidden))
        result = live_scan(source(emu, subscriptions=(SUB_A,), **kw))
        queries = [r.body for r in emu.requests("POST", "Microsoft.ResourceGraph/resources")]
        lists = [r.path for r in emu.requests("GET", "dnsForwardingRulesets")]
    return result, queries, lists


def _snapshot(rows: list[dict], tmp_path) -> list[dict]:
    path = tmp_path / "estate.json"
    path.write_text(json.dumps(rows), encoding="utf-8")
    from tests.emulator.live import scan as run

    return findings(run(SnapshotSource([path])))


@pytest.mark.parametrize("design", DNS_DESIGNS)
def test_live_fetches_the_hub_outside_the_scan_and_agrees_with_the_snapshot(
    design: str, tmp_path
) -> None:
    rows = _estate(design, SUB_C)
    result, queries, lists = _live(rows)
    assert result.source.complete, result.source.gaps
    zones = _zones(result.findings)
    assert len(zones) == 7 and {f.status for f in zones} == {Status.PASS}, [
        f.message for f in zones
    ]
    assert findings(result) == _snapshot(rows, tmp_path)
    # only what the instance needs, from the subscription that holds it
    hub_queries = [q for q in queries if q.get("subscriptions") == [SUB_C]]
    assert any("microsoft.network/dnsresolvers'" in q["query"] for q in hub_queries)
    assert all(" | where type in~ " not in q["query"] or "resourceGroup =~ 'rg-connectivity'"
               in q["query"] for q in hub_queries)  # fmt: skip
    if design == "ruleset":
        assert any(p.lower().endswith("/virtualnetworklinks") for p in
                   (x.split("?")[0] for x in lists))  # fmt: skip
        assert any("/forwardingRules" in p for p in lists)


def test_live_drift_outside_the_scan_fails_like_the_snapshot(tmp_path) -> None:
    rows = _estate("resolver", SUB_C)
    for r in rows:
        if r["type"] == "microsoft.network/dnsresolvers/inboundendpoints":
            r["properties"]["ipConfigurations"][0]["privateIpAddress"] = "10.100.1.77"
    result, _q, _l = _live(rows)
    assert result.source.complete, result.source.gaps
    assert {f.status for f in _zones(result.findings)} == {Status.FAIL}
    assert all(RESOLVER_IP in f.message for f in _zones(result.findings))
    assert findings(result) == _snapshot(rows, tmp_path)


def test_live_unreadable_hub_is_an_error_naming_it() -> None:
    rows = _estate("resolver", SUB_C)
    result, _q, _l = _live(copy.deepcopy(rows), forbidden={SUB_C})
    zones = _zones(result.findings)
    assert zones and {f.status for f in zones} == {Status.ERROR}
    assert all("vnet-hub" in f.message for f in zones), [f.message for f in zones]
    assert any(g.scope == SUB_C for g in result.source.gaps)


# ---------------------------------------------------------------- hostile rows never crash

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from amlguard.scanner.sources import dnsrefs  # noqa: E402
from amlguard.scanner.workspace_sources import quoted_error  # noqa: E402

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)
_rows = st.lists(
    st.fixed_dictionaries(
        {
            "id": st.sampled_from(["", "/subscriptions/s/resourceGroups/g/x", "junk"]),
            "type": st.sampled_from(
                ["microsoft.network/virtualnetworks", "microsoft.network/azurefirewalls",
                 "microsoft.network/privatednszones/virtualnetworklinks",
                 "microsoft.network/privateendpoints/privatednszonegroups", "x"]
            ),
            "properties": _json,
        }
    ),
    max_size=6,
)  # fmt: skip


@settings(derandomize=True, max_examples=150, deadline=None)
@given(_rows)
def test_dns_reference_helpers_take_any_rows(rows: list[dict]) -> None:
    linked = dnsrefs.zone_link_vnets(rows)
    assert all(isinstance(k, str) for k in linked)
    for r in rows:
        assert all(isinstance(p, str) for p in dnsrefs.connected_peers(r))


@settings(derandomize=True, max_examples=150, deadline=None)
@given(_json)
def test_error_information_is_always_one_bounded_printable_line(value: Any) -> None:
    text = quoted_error(value)
    assert "\n" not in text and "\x1b" not in text and len(text) <= 210
