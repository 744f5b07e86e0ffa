"""A live scan of an application subscription reads the DNS infrastructure its spokes name, not
only what sits in zone-linked VNets (redteam8 item 4), and agrees with a snapshot of everything.

The landing zone keeps the firewall (DNS proxy) in ``vnet-hub``, which no zone is linked to, and
the Private Resolver, the forwarding ruleset's targets and every zone link in ``vnet-dns``,
peered to the hub only; spoke-a asks the firewall, spoke-b is linked to the ruleset. On Virtual
WAN, spoke-a asks a DNS proxy firewall in the secured hub. Emulator, real SDK clients.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from amlguard.scanner.dns import RULESET
from amlguard.scanner.model import ScanResult
from amlguard.scanner.sources import kql
from amlguard.scanner.sources.snapshot import SnapshotSource
from tests import builders_fix8dns as b
from tests.emulator import arg
from tests.emulator.live import findings, scan, source
from tests.emulator.server import Emulator

SUB_A = "8f1c2a6e-3b4d-4e5f-9a0b-1c2d3e4f5a6b"  # spoke-a's (application) subscription
SUB_B = "d2e3f4a5-b6c7-4d8e-9f0a-1b2c3d4e5f60"  # spoke-b's


def _dns_vnet_estate(hub_linked: bool = False) -> list[b.Row]:
    rows = b.rows_of("landing-zone")
    b.resolver_in_dns_vnet(rows, "both")
    b.spoke_a_asks(rows, b.FIREWALL_IP)
    b.proxy_servers(rows, [b.DNS_VNET_RESOLVER_IP])
    if hub_linked:  # the zones linked to vnet-hub too: the firewall is read, not its servers'
        for row in list(rows):
            linked = row["properties"].get("virtualNetwork", {}).get("id", "")
            if row["type"].lower().endswith("privatednszones/virtualnetworklinks") and (
                linked == b.DNS_VNET
            ):
                twin = copy.deepcopy(row)
                twin["id"] += "-hub"
                twin["name"] += "-hub"
                twin["properties"]["virtualNetwork"]["id"] = b.HUB_VNET
                rows.append(twin)
    return rows


def _hub_firewall_estate() -> list[b.Row]:
    rows = b.rows_of("virtual-wan")
    b.hub_firewall(rows, [b.RESOLVER_IP])
    b.spoke_a_asks(rows, b.HUB_FIREWALL_IP)
    return rows


def _ruleset_estate(peered: bool = True) -> list[b.Row]:
    """spoke-b's ruleset (outbound endpoint in vnet-hub) forwards to a resolver in vnet-iso."""
    rows = b.rows_of("landing-zone")
    b.rules_forward_to_iso(rows, peered)
    return rows


def _live(rows: list[b.Row], sub: str, forbidden: frozenset[str] = frozenset()) -> ScanResult:
    with Emulator(copy.deepcopy(rows)) as emu:
        arg.install(emu, forbidden=set(forbidden))
        return scan(source(emu, subscriptions=(sub,)))


def _zones(found: list[dict[str, Any]], instance: str) -> list[dict[str, Any]]:
    return [f for f in found if f["rule_id"] == "AMLG-301" and f["instance"].endswith(instance)]


def _snapshot(rows: list[b.Row], tmp_path: Path) -> list[dict[str, Any]]:
    return findings(scan(SnapshotSource([b.write(tmp_path, rows)])))


ESTATES = {
    "proxy to a DNS VNet": (_dns_vnet_estate, SUB_A, "spoke-a-mlw"),
    "proxy, hub linked too": (lambda: _dns_vnet_estate(hub_linked=True), SUB_A, "spoke-a-mlw"),
    "ruleset in a DNS VNet": (_dns_vnet_estate, SUB_B, "spoke-b-mlw"),
    "secured hub firewall": (_hub_firewall_estate, SUB_A, "spoke-a-mlw"),
    "ruleset to a VNet peered to its resolver's": (_ruleset_estate, SUB_B, "spoke-b-mlw"),
}


@pytest.mark.parametrize("name", sorted(ESTATES))
def test_the_application_subscription_alone_agrees_with_the_snapshot(
    name: str, tmp_path: Path
) -> None:
    build, sub, instance = ESTATES[name]
    rows = build()
    result = _live(rows, sub)
    assert result.source.complete, result.source.gaps
    live = _zones(findings(result), instance)
    assert len(live) == 7 and {f["status"] for f in live} == {"pass"}, live[0]["message"]
    assert live == _zones(_snapshot(rows, tmp_path), instance)


def test_drift_beyond_the_linked_vnets_fails_live_as_in_the_snapshot(tmp_path: Path) -> None:
    """The hub and the DNS VNet unpeered: the firewall cannot reach the resolver."""
    rows = _dns_vnet_estate()
    b.named(rows, "vnet-dns")["properties"]["virtualNetworkPeerings"] = []
    hub = b.named(rows, "vnet-hub")["properties"]
    hub["virtualNetworkPeerings"] = [p for p in hub["virtualNetworkPeerings"]
                                     if p["name"] != "to-dns"]  # fmt: skip
    live = _zones(findings(_live(rows, SUB_A)), "spoke-a-mlw")
    assert live and {f["status"] for f in live} == {"fail"}
    assert all("10.200.0.4" in f["message"] for f in live)
    snap = _zones(_snapshot(rows, tmp_path), "spoke-a-mlw")
    assert [f["message"] for f in live] == [f["message"] for f in snap]
    assert live == snap


SUB_NET = "0c0c0c0c-1d1d-4e4e-8f8f-a0a0a0a0a0a0"  # the network, apart from the zones


@pytest.mark.parametrize("name", sorted(ESTATES))
def test_an_unreadable_network_subscription_is_an_error_never_a_fail(
    name: str, tmp_path: Path
) -> None:
    build, sub, instance = ESTATES[name]
    rows = b.network_in(build(), SUB_NET, ("rg-connectivity", "rg-vwan"))
    readable = _zones(findings(_live(rows, sub)), instance)
    assert {f["status"] for f in readable} == {"pass"}, readable[0]["message"]
    assert readable == _zones(_snapshot(rows, tmp_path), instance)
    result = _live(rows, sub, forbidden=frozenset({SUB_NET}))
    live = _zones(findings(result), instance)
    assert len(live) == 7 and {f["status"] for f in live} == {"error"}, live[0]["message"]
    assert not result.source.complete


def test_a_spoke_whose_zones_are_linked_asks_for_no_ruleset() -> None:
    """The tenant-wide ruleset query runs only for a spoke on Azure DNS with an unlinked zone."""
    rows = b.rows_of("landing-zone")
    with Emulator(rows) as emu:
        arg.install(emu)
        scan(source(emu, subscriptions=(SUB_A,)))
        queries = [
            r.body["query"] for r in emu.requests("POST", "Microsoft.ResourceGraph/resources")
        ]
    assert queries and kql.resources([RULESET]) not in queries


def test_a_ruleset_target_its_outbound_endpoint_cannot_reach_fails_live_too(
    tmp_path: Path,
) -> None:
    rows = _ruleset_estate(peered=False)
    live = _zones(findings(_live(rows, SUB_B)), "spoke-b-mlw")
    assert live and {f["status"] for f in live} == {"fail"}
    assert all("vnet-iso" in f["message"] for f in live)
    assert live == _zones(_snapshot(rows, tmp_path), "spoke-b-mlw")
