"""AMLG-301 case (b) across Virtual WAN hubs, and the words of passing findings (issue 12).

A spoke whose custom DNS server is a resolver inbound endpoint in a DNS VNet it reaches only
through Virtual WAN (the same hub, or two hubs of a Standard WAN) passes, naming the path; a
Basic WAN, an unprovisioned connection or a missing connection fails exactly AMLG-301 naming the
missing reach. Live (emulator, real SDK clients) and snapshot give the same findings; the hubs
and their connections come from outside the scanned subscription.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from amlguard.scanner.model import Status
from amlguard.scanner.sources.snapshot import SnapshotSource
from tests.builders import RESOLVER_IP
from tests.builders_estates3 import connection_of, vwan_estate
from tests.emulator import arg
from tests.emulator.live import findings, source
from tests.emulator.live import scan as live_scan
from tests.emulator.server import Emulator
from tests.scanner.harness import not_passing, of_rule, scan

SPOKE = "00000000-0000-0000-0000-000000000001"
NETWORK = "00000000-0000-0000-0000-0000000000cc"


def _zones(found: list) -> list:
    return of_rule(found, "AMLG-301")


@pytest.mark.parametrize("layout", ["same", "two"])
def test_spoke_reaching_the_resolver_through_virtual_wan_passes_naming_the_path(
    layout: str,
) -> None:
    found = scan(vwan_estate(layout).rows())
    assert not_passing(found) == {}
    zones = _zones(found)
    assert len(zones) == 7
    for f in zones:
        assert "DNS Private Resolver inbound endpoint in-hub (10.100.1.4) in VNet vnet-hub" in (
            f.message
        )
        assert "Virtual WAN hub vhub-" in f.message and "linked to the zone" in f.message
    if layout == "two":
        assert all("hub-to-hub" in f.message and "vwan-core" in f.message for f in zones)


def test_basic_wan_has_no_hub_to_hub_transit() -> None:
    found = scan(vwan_estate("two", wan_type="Basic").rows())
    assert not_passing(found) == {"AMLG-301": {"fail"}}
    assert all(
        "does not reach through a Virtual WAN hub" in f.message and RESOLVER_IP in f.message
        for f in _zones(found)
    )


@pytest.mark.parametrize("state", ["Failed", "Updating", "Deleting"])
def test_an_unprovisioned_connection_is_no_reach(state: str) -> None:
    estate = vwan_estate("same")
    connection_of(estate, estate.inst.vnet["id"])["properties"]["provisioningState"] = state
    assert not_passing(scan(estate.rows())) == {"AMLG-301": {"fail"}}


def test_a_dns_vnet_without_a_connection_fails() -> None:
    estate = vwan_estate("same")
    estate.connections = [connection_of(estate, estate.inst.vnet["id"])]
    found = scan(estate.rows())
    assert not_passing(found) == {"AMLG-301": {"fail"}}


def test_hubs_of_another_wan_do_not_reach() -> None:
    estate = vwan_estate("two")
    other = dict(estate.wan, id=estate.wan["id"] + "-other", name="vwan-core-other")
    estate.hubs[1]["properties"]["virtualWan"] = {"id": other["id"]}
    rows = [*estate.rows(), other]
    assert not_passing(scan(rows)) == {"AMLG-301": {"fail"}}


def test_ids_compare_case_insensitively() -> None:
    estate = vwan_estate("two")
    for conn in estate.connections:
        remote = conn["properties"]["remoteVirtualNetwork"]
        remote["id"] = remote["id"].upper()
    estate.hubs[1]["properties"]["virtualWan"]["id"] = estate.wan["id"].lower()
    assert not_passing(scan(estate.rows())) == {}


# ---------------------------------------------------------------- the words of passing findings


def _messages(rows: list[dict[str, Any]], **kw: Any) -> set[str]:
    zones = _zones(scan(rows, rule_ids=["AMLG-301"], **kw))
    assert zones and {f.status for f in zones} == {Status.PASS}, [f.message for f in zones]
    return {f.message.split(": ", 1)[1] for f in zones}


def test_pass_words_azure_dns_link() -> None:
    from tests.builders import blueprint

    words = _messages(blueprint().rows())
    assert words == {"zone linked to the solution VNet (Azure-provided DNS)."}


def test_pass_words_firewall_proxy_and_ruleset() -> None:
    from tests.builders import blueprint, connectivity, landing_zone

    hub = connectivity()
    fw = landing_zone(blueprint(), hub, "firewall").rows() + hub.rows()
    assert all(
        w.startswith("through Azure Firewall DNS proxy afw-hub (10.100.2.4) in VNet vnet-hub")
        and "peered (Connected)" in w
        for w in _messages(fw)
    )
    hub = connectivity()
    rs = landing_zone(blueprint(), hub, "ruleset").rows() + hub.rows()
    assert all(
        w.startswith("through forwarding ruleset dnsfrs-spokes rule privatelink-")
        and "-> DNS Private Resolver inbound endpoint in-hub (10.100.1.4)" in w
        for w in _messages(rs)
    )


def test_pass_words_trusted_server_and_own_space_server() -> None:
    from tests.builders import blueprint

    inst = blueprint()
    inst.vnet["properties"]["dhcpOptions"] = {"dnsServers": ["10.0.2.10"]}
    assert all("DNS server 10.0.2.10 sits in it" in w for w in _messages(inst.rows()))
    inst = blueprint()
    inst.vnet["properties"]["dhcpOptions"] = {"dnsServers": ["192.168.50.10"]}
    params = {
        "AMLG-301": {"trusted_dns_servers": [{"ip": "192.168.50.10", "vnet": inst.vnet["id"]}]}
    }
    words = _messages(inst.rows(), parameters=params)
    assert all(w.startswith("through trusted DNS server 192.168.50.10 in VNet") for w in words)


# ---------------------------------------------------------------- live (emulator, real SDK)


def _snapshot(rows: list[dict], tmp_path) -> list[dict]:
    path = tmp_path / "estate.json"
    path.write_text(json.dumps(rows), encoding="utf-8")
    return findings(live_scan(SnapshotSource([path])))


@pytest.mark.parametrize(("layout", "wan_type"), [("two", "Standard"), ("two", "Basic")])
def test_live_reads_hubs_outside_the_scan_and_agrees_with_the_snapshot(
    layout: str, wan_type: str, tmp_path
) -> None:
    rows = vwan_estate(layout, wan_type).rows()
    with Emulator(rows) as emu:
        arg.install(emu)
        result = live_scan(source(emu, subscriptions=(SPOKE,)))
        queries = [r.body for r in emu.requests("POST", "Microsoft.ResourceGraph/resources")]
        lists = [r.path for r in emu.requests("GET", "hubVirtualNetworkConnections")]
    assert result.source.complete, result.source.gaps
    zones = _zones(result.findings)
    expected = Status.PASS if wan_type == "Standard" else Status.FAIL
    assert len(zones) == 7 and {f.status for f in zones} == {expected}
    assert findings(result) == _snapshot(rows, tmp_path)
    # one tenant-wide hub query; the connections of both hubs by ARM list
    assert sum("microsoft.network/virtualhubs" in q["query"] and not q.get("subscriptions")
               for q in queries) == 1  # fmt: skip
    assert len({p.split("?")[0].lower() for p in lists}) == 2


def test_live_without_custom_dns_reads_no_hubs() -> None:
    from tests.builders import blueprint

    rows = blueprint(SPOKE).rows()
    with Emulator(rows) as emu:
        arg.install(emu)
        result = live_scan(source(emu, subscriptions=(SPOKE,)))
        lists = emu.requests("GET", "hubVirtualNetworkConnections")
        queries = [r.body for r in emu.requests("POST", "Microsoft.ResourceGraph/resources")]
    assert result.source.complete
    assert not lists
    assert not any(not q.get("subscriptions") and "virtualhubs" in q["query"] for q in queries)


def test_hub_connections_unread_is_an_error_naming_the_hub_peering() -> None:
    """The spoke's RemoteVnetToHubPeering says it is connected to a hub; without that hub's
    VNet connections the verdict cannot be read: error, never a fail that is not there."""
    estate = vwan_estate("same")
    estate.connections = []
    zones = _zones(scan(estate.rows()))
    assert zones and {f.status for f in zones} == {Status.ERROR}
    assert all("RemoteVnetToHubPeering_" in f.message for f in zones)


def test_live_unreadable_hub_subscription_is_an_error() -> None:
    rows = vwan_estate("two").rows()
    with Emulator(rows) as emu:
        arg.install(emu, forbidden={NETWORK})
        result = live_scan(source(emu, subscriptions=(SPOKE,)))
    zones = _zones(result.findings)
    assert zones and {f.status for f in zones} == {Status.ERROR}, [f.message for f in zones]


# ---------------------------------------------------------------- hostile rows never crash

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from amlguard.scanner import vwan  # noqa: E402
from amlguard.scanner.inventory import Inventory  # noqa: E402
from amlguard.scanner.sources import dnsrefs  # noqa: E402

_HUB = "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/virtualHubs/h"
_VNET = "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/virtualNetworks/v"
_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.text(max_size=10)
    | st.sampled_from([_HUB, _VNET]),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=10,
)
_rows = st.lists(
    st.fixed_dictionaries(
        {
            "id": st.sampled_from(["", _HUB, _VNET, f"{_HUB}/hubVirtualNetworkConnections/c", "x"]),
            "type": st.sampled_from([vwan.VIRTUAL_HUB, vwan.VIRTUAL_WAN, vwan.HUB_CONNECTION,
                                     "microsoft.network/virtualnetworks", "x"]),
            "properties": _json,
        }
    ),
    max_size=6,
)  # fmt: skip


@settings(derandomize=True, max_examples=150, deadline=None)
@given(_rows)
def test_virtual_wan_helpers_take_any_rows(rows: list[dict]) -> None:
    inv = Inventory(rows)
    reached = vwan.reachable(inv, _VNET)
    assert all(isinstance(v, str) and v for v in reached)
    assert set(map(str.lower, reached)) <= set(map(str.lower, vwan.related(inv, _VNET)))
    assert isinstance(vwan.unread_hub_peering(inv, rows[0] if rows else {}), str)
    assert all(isinstance(k, str) for k in dnsrefs.vwan_reach(rows, [_VNET]))


def test_wan_unread_between_two_hubs_is_an_error_naming_it() -> None:
    estate = vwan_estate("two")
    rows = [r for r in estate.rows() if r["type"] != "microsoft.network/virtualwans"]
    zones = _zones(scan(rows))
    assert zones and {f.status for f in zones} == {Status.ERROR}
    assert all("vwan-core" in f.message and "Standard" in f.message for f in zones)
    # one hub: the WAN's type does not matter
    estate = vwan_estate("same")
    rows = [r for r in estate.rows() if r["type"] != "microsoft.network/virtualwans"]
    assert not_passing(scan(rows)) == {}
