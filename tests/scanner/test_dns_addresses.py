"""The lenient row readers that decide what a live scan looks up for AMLG-301 (dnsaddresses,
dnsproxy.hub_address) take any row: hostile or malformed data never crashes them, and what they
return is always of the documented shape."""

from __future__ import annotations

import ipaddress
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard.scanner import dnsproxy
from amlguard.scanner.sources import dnsaddresses as d

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12)
    | st.sampled_from(["10.0.0.4", " 10.0.0.5 ", "::1", "10.0.0.0/24", "true", "True"]),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(
            st.sampled_from(["properties", "dhcpOptions", "dnsServers", "ipConfigurations",
                             "privateIpAddress", "privateIPAddress", "hubIPAddresses",
                             "virtualHub", "id", "subnet", "name", "virtualNetworkPeerings",
                             "remoteVirtualNetwork", "peeringState", "dnsSettings",
                             "enableProxy", "servers", "additionalProperties"]),
            inner, max_size=4)
    ),
    max_leaves=16,
)  # fmt: skip


def _is_ip(text: str) -> bool:
    try:
        return str(ipaddress.ip_address(text)) == text
    except ValueError:
        return False


@settings(derandomize=True, max_examples=300, deadline=None)
@given(_json, _json)
def test_the_readers_take_any_row(row: Any, other: Any) -> None:
    row = row if isinstance(row, dict) else {"properties": row}
    assert all(_is_ip(s) for s in d.dns_servers(row))
    assert all(_is_ip(s) for s in d.server_ips(row))
    assert all(_is_ip(s) for s in d.proxy_servers(row, other if isinstance(other, dict) else None))
    place, in_hub = d.firewall_place(row)
    assert isinstance(place, str) and isinstance(in_hub, bool) and (place or not in_hub)
    assert all(isinstance(p, str) and p for p in d.peers(row))
    ip, hub = dnsproxy.hub_address(row)
    assert (ip == "") == (hub == "")


def test_a_secured_hub_firewall_is_read_from_its_hub_addresses() -> None:
    row = {"properties": {"hubIPAddresses": {"privateIPAddress": " 10.200.0.132 "},
                          "virtualHub": {"id": "/subscriptions/s/resourceGroups/g/providers/"
                                               "Microsoft.Network/virtualHubs/h"}}}  # fmt: skip
    assert d.server_ips(row) == {"10.200.0.132"}
    assert d.firewall_place(row) == (row["properties"]["virtualHub"]["id"], True)
    assert d.peers({"properties": {"virtualNetworkPeerings": [
        {"name": "RemoteVnetToHubPeering_1", "properties": {
            "remoteVirtualNetwork": {"id": "/x/HV_h_1"}, "peeringState": "Connected"}},
        {"name": "to-dns", "properties": {
            "remoteVirtualNetwork": {"id": "/x/vnet-dns"}, "peeringState": "Connected"}},
    ]}}) == ["/x/vnet-dns"]  # fmt: skip
