"""AMLG-301 through an Azure Firewall DNS proxy (redteam8 items 1, 6 and 7).

1. The proxy sends what it forwards from the firewall's VNet: a server it forwards to resolves
   only in a VNet the firewall's VNet reaches (itself, a Connected peering, Virtual WAN);
   a peering the scan could not read is an ``error``.
7. 168.63.129.16 named as a proxy server answers as ``servers: []`` does (the firewall VNet's
   own links).
6. A DNS proxy firewall in a secured Virtual WAN hub (``hubIPAddresses``) is a DNS server of the
   spokes connected to its hub; its servers must resolve the zone and be reached from the hub;
   with none it asks Azure-provided DNS in the hub, which no zone can be linked to.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import builders_fix8dns as b

AZURE_DNS = "168.63.129.16"


def _statuses(findings: list[b.Row]) -> set[str]:
    assert findings, "spoke-a has no AMLG-301 finding"
    return {f["status"] for f in findings}


# --- item 1: the firewall's VNet must reach the server it forwards to -----------------------


def _proxy_to_dns_vnet(peered: str) -> list[b.Row]:
    rows = b.rows_of("landing-zone")
    b.resolver_in_dns_vnet(rows, peered)
    b.spoke_a_asks(rows, b.FIREWALL_IP)
    b.proxy_servers(rows, [b.DNS_VNET_RESOLVER_IP])
    return rows


def test_a_server_the_firewall_vnet_cannot_reach_fails(tmp_path: Path) -> None:
    findings = b.judge(tmp_path, _proxy_to_dns_vnet("none"))
    assert _statuses(findings) == {"fail"}
    assert all(
        "in-hub (10.200.0.4) in VNet vnet-dns, which the firewall's VNet vnet-hub is not peered to"
        in f["message"]
        for f in findings
    )


@pytest.mark.parametrize("peered", ["both", "dns"])
def test_a_server_in_a_peered_vnet_resolves(tmp_path: Path, peered: str) -> None:
    """Either side's Connected peering says both exist (Azure shows Connected only then)."""
    findings = b.judge(tmp_path, _proxy_to_dns_vnet(peered))
    assert _statuses(findings) == {"pass"}
    assert all("peered (Connected) to the firewall's VNet" in f["message"] for f in findings)


def test_a_peering_not_yet_connected_does_not_reach(tmp_path: Path) -> None:
    rows = _proxy_to_dns_vnet("dns")
    b.named(rows, "vnet-dns")["properties"]["virtualNetworkPeerings"][0]["properties"][
        "peeringState"
    ] = "Initiated"
    assert _statuses(b.judge(tmp_path, rows)) == {"fail"}


def test_an_unread_firewall_vnet_is_an_error(tmp_path: Path) -> None:
    rows = b.without(_proxy_to_dns_vnet("both"), "vnet-hub")
    b.named(rows, "vnet-dns")["properties"]["virtualNetworkPeerings"] = []
    findings = b.judge(tmp_path, rows)
    assert _statuses(findings) == {"error"}
    assert all("the firewall's VNet" in f["message"] and "vnet-hub" in f["message"]
               for f in findings)  # fmt: skip


def test_a_server_reached_through_virtual_wan_resolves(tmp_path: Path) -> None:
    """vnet-hub (the firewall's) and vnet-dns (the resolver's) are connected to one hub."""
    rows = b.rows_of("virtual-wan")
    b.resolver_in_dns_vnet(rows, "none")
    conn = dict(b.named(rows, "vnet-hub-conn"))
    conn["id"] = conn["id"].replace("vnet-hub-conn", "vnet-dns-conn")
    conn["name"] = "vnet-dns-conn"
    conn["properties"] = {"remoteVirtualNetwork": {"id": b.DNS_VNET}}
    rows.append(conn)
    b.named(rows, "vnet-dns")["properties"]["virtualNetworkPeerings"] = [
        b.peering("RemoteVnetToHubPeering_1", "/subscriptions/x/resourceGroups/y/providers/"
                  "Microsoft.Network/virtualNetworks/HV_vhub-weu_1")
    ]  # fmt: skip
    b.spoke_a_asks(rows, b.FIREWALL_IP)
    b.proxy_servers(rows, [b.DNS_VNET_RESOLVER_IP])
    findings = b.judge(tmp_path, rows)
    assert _statuses(findings) == {"pass"}, findings[0]["message"]
    assert all("reached from the firewall's VNet through Virtual WAN" in f["message"]
               for f in findings)  # fmt: skip
    rows.remove(conn)  # vnet-dns's hub peering without its connection read: error
    assert _statuses(b.judge(tmp_path, rows)) == {"error"}


# --- item 7: Azure-provided DNS named explicitly -------------------------------------------


def test_azure_dns_named_as_the_proxy_server_is_like_no_server(tmp_path: Path) -> None:
    rows = b.rows_of("landing-zone")
    b.spoke_a_asks(rows, b.FIREWALL_IP)
    b.proxy_servers(rows, [AZURE_DNS])
    findings = b.judge(tmp_path, rows)
    assert _statuses(findings) == {"pass"}
    assert all(f"Azure-provided DNS {AZURE_DNS} from VNet vnet-hub, which is linked to the zone"
               in f["message"] for f in findings)  # fmt: skip


def test_azure_dns_from_an_unlinked_firewall_vnet_fails(tmp_path: Path) -> None:
    rows = _proxy_to_dns_vnet("both")  # the zones are linked to vnet-dns, not vnet-hub
    b.proxy_servers(rows, [AZURE_DNS])
    findings = b.judge(tmp_path, rows)
    assert _statuses(findings) == {"fail"}
    assert all("the zone is not linked to it" in f["message"] for f in findings)


# --- item 6: a firewall in a secured Virtual WAN hub ---------------------------------------


def _secured_hub(servers: object, hub: str = b.VHUB, policy: bool = True) -> list[b.Row]:
    rows = b.rows_of("virtual-wan")
    b.hub_firewall(rows, servers, hub=hub, policy=policy)
    b.spoke_a_asks(rows, b.HUB_FIREWALL_IP)
    return rows


def test_a_hub_firewall_forwarding_to_a_connected_resolver_resolves(tmp_path: Path) -> None:
    findings = b.judge(tmp_path, _secured_hub([b.RESOLVER_IP]))
    assert _statuses(findings) == {"pass"}
    assert all(
        "Azure Firewall DNS proxy afw-vhub-weu (10.200.0.132) in Virtual WAN hub vhub-weu"
        in f["message"]
        and "in VNet vnet-hub, which is linked to the zone and connected to Virtual WAN hub "
        "vhub-weu"
        in f["message"]
        for f in findings
    )


@pytest.mark.parametrize("servers", [[], [AZURE_DNS]])
def test_a_hub_firewall_asking_azure_dns_fails(tmp_path: Path, servers: list[str]) -> None:
    findings = b.judge(tmp_path, _secured_hub(servers))
    assert _statuses(findings) == {"fail"}
    assert all("no private DNS zone can be linked to" in f["message"] for f in findings)


def test_a_hub_firewall_whose_policy_is_not_read_is_an_error(tmp_path: Path) -> None:
    findings = b.judge(tmp_path, _secured_hub([b.RESOLVER_IP], policy=False))
    assert _statuses(findings) == {"error"}
    assert all("afwp-vhub" in f["message"] for f in findings)


def test_a_hub_firewall_in_another_hub_of_a_standard_wan(tmp_path: Path) -> None:
    rows = _secured_hub([b.RESOLVER_IP], hub=b.VHUB_NEU)
    assert _statuses(b.judge(tmp_path, rows)) == {"pass"}
    b.named(rows, "vwan-core")["properties"]["type"] = "Basic"
    assert _statuses(b.judge(tmp_path, rows)) == {"fail"}
    # the hub not read: which WAN it belongs to (hub-to-hub transit) cannot be read
    assert _statuses(b.judge(tmp_path, b.without(rows, "vhub-neu"))) == {"error"}


def test_a_spoke_not_connected_to_the_firewall_hub_fails(tmp_path: Path) -> None:
    rows = b.without(_secured_hub([b.RESOLVER_IP]), "spoke-a-vnet-conn")
    b.named(rows, "spoke-a-vnet")["properties"]["virtualNetworkPeerings"] = []
    findings = b.judge(tmp_path, rows)
    assert _statuses(findings) == {"fail"}
    assert all("the solution VNet is not connected to that hub" in f["message"] for f in findings)


def test_a_hub_firewall_server_the_hub_cannot_reach_fails(tmp_path: Path) -> None:
    rows = b.without(_secured_hub([b.RESOLVER_IP]), "vnet-hub-conn")
    b.named(rows, "vnet-hub")["properties"]["virtualNetworkPeerings"] = []
    findings = b.judge(tmp_path, rows)
    assert _statuses(findings) == {"fail"}
    assert all("which is not connected to the firewall's Virtual WAN hub vhub-weu"
               in f["message"] for f in findings)  # fmt: skip
