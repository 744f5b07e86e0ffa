"""Estates for redteam9 items 7 and 11: a DR clone of the landing zone's hub (same address plan,
peered to nothing) holding a DNS server on an IP the spokes use, and Virtual WAN hub connections
with custom route tables."""

from __future__ import annotations

import copy
from typing import Any

from tests import builders_fix8dns as b

Row = dict[str, Any]
DR_RG = f"/subscriptions/{b.SUB}/resourceGroups/rg-connectivity-dr"
DR_NET = f"{DR_RG}/providers/Microsoft.Network"
DR_VNET = f"{DR_NET}/virtualNetworks/vnet-hub-dr"


def _common() -> Row:
    return {"location": "northeurope", "resourceGroup": "rg-connectivity-dr",
            "subscriptionId": b.SUB, "tags": {}}  # fmt: skip


def dr_vnet(rows: list[Row]) -> None:
    """vnet-hub-dr: vnet-hub's address plan, no peering (added once)."""
    if any(r["id"] == DR_VNET for r in rows):
        return
    vnet = copy.deepcopy(b.named(rows, "vnet-hub"))
    vnet.update(_common(), id=DR_VNET, name="vnet-hub-dr")
    vnet["properties"]["virtualNetworkPeerings"] = []
    rows.append(vnet)


def dr_proxy(
    rows: list[Row], ip: str, servers: Any, name: str = "afw-hub-dr", policy: bool = True
) -> None:
    """A DNS proxy firewall ``name`` in vnet-hub-dr on ``ip`` forwarding to ``servers``;
    without ``policy`` its policy is not in the estate (whether it proxies cannot be read)."""
    dr_vnet(rows)
    policy_id = f"{DR_NET}/firewallPolicies/{name}-policy"
    if policy:
        rows.append({"id": policy_id, "name": f"{name}-policy",
                     "type": "microsoft.network/firewallpolicies", **_common(),
                     "properties": {"dnsSettings": {"enableProxy": True, "servers": servers}}})  # fmt: skip
    rows.append({"id": f"{DR_NET}/azureFirewalls/{name}", "name": name,
                 "type": "microsoft.network/azurefirewalls", **_common(),
                 "properties": {"firewallPolicy": {"id": policy_id}, "ipConfigurations": [
                     {"name": "ipconfig", "properties": {
                         "privateIPAddress": ip,
                         "subnet": {"id": f"{DR_VNET}/subnets/AzureFirewallSubnet"}}}]}})  # fmt: skip


def dr_resolver(rows: list[Row], ip: str) -> None:
    """A Private Resolver inbound endpoint in vnet-hub-dr on ``ip``."""
    dr_vnet(rows)
    resolver = f"{DR_NET}/dnsResolvers/dnspr-hub-dr"
    rows.append({"id": resolver, "name": "dnspr-hub-dr", "type": "microsoft.network/dnsresolvers",
                 **_common(), "properties": {"virtualNetwork": {"id": DR_VNET}}})  # fmt: skip
    rows.append({"id": f"{resolver}/inboundEndpoints/in-hub-dr", "name": "in-hub-dr",
                 "type": "microsoft.network/dnsresolvers/inboundendpoints", **_common(),
                 "properties": {"ipConfigurations": [{
                     "privateIpAddress": ip,
                     "subnet": {"id": f"{DR_VNET}/subnets/snet-dns-in"}}]}})  # fmt: skip


def link_zones_to_dr(rows: list[Row]) -> None:
    """Every zone vnet-hub is linked to is linked to vnet-hub-dr as well."""
    for row in list(rows):
        kind = row["type"].lower()
        linked = row["properties"].get("virtualNetwork", {}).get("id", "")
        if kind == "microsoft.network/privatednszones/virtualnetworklinks" and linked == b.HUB_VNET:
            link = copy.deepcopy(row)
            link["id"] = row["id"] + "-dr"
            link["name"] = row["name"] + "-dr"
            link["properties"]["virtualNetwork"]["id"] = DR_VNET
            rows.append(link)


# --- redteam9 item 11: Virtual WAN route tables ---------------------------------------------

VHUB_WEU = b.VHUB
RT_SPOKES = f"{VHUB_WEU}/hubRouteTables/RT_SPOKES"
DEFAULT_WEU = f"{VHUB_WEU}/hubRouteTables/defaultRouteTable"


def routing(
    rows: list[Row], conn: str, associated: str | None, ids: list[str], labels: list[str]
) -> None:
    """Hub connection ``conn``'s routing: associated with ``associated`` (None: the key
    absent), propagating to route tables ``ids`` and ``labels``."""
    cfg: Row = {"propagatedRouteTables": {"ids": [{"id": i} for i in ids], "labels": labels}}
    if associated is not None:
        cfg["associatedRouteTable"] = {"id": associated}
    b.named(rows, conn)["properties"]["routingConfiguration"] = cfg


def isolate_spoke_a(rows: list[Row]) -> None:
    """The redteam's reproducer: spoke-a associated with (and propagating to) RT_SPOKES, which
    vnet-hub (the resolver's VNet) does not propagate to."""
    routing(rows, "spoke-a-vnet-conn", RT_SPOKES, [RT_SPOKES], ["spokes"])


def route_table(rows: list[Row], table: str, labels: Any) -> None:
    """A hubRouteTables row ``table`` with ``labels``."""
    name = table.rsplit("/", 1)[-1]
    rows.append({"id": table, "name": name, "type": "microsoft.network/virtualhubs/hubroutetables",
                 "location": "", "resourceGroup": "rg-vwan", "subscriptionId": b.SUB, "tags": {},
                 "properties": {"labels": labels, "routes": [], "provisioningState": "Succeeded"}})  # fmt: skip
