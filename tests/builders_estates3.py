"""Estate builders for session 5 (estates3): Virtual WAN hubs between a spoke and its DNS.

Shapes follow Azure/azure-rest-api-specs ``specification/network/resource-manager/
Microsoft.Network/stable/2024-05-01/virtualWan.json``: ``VirtualWAN.properties.type``
(``Basic``/``Standard``), ``VirtualHub.properties.virtualWan.id`` and ``addressPrefix``,
``HubVirtualNetworkConnection.properties.remoteVirtualNetwork.id``, ``routingConfiguration``
and ``provisioningState`` (the connection has no state property of its own).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from tests.builders import (
    Connectivity,
    Instance,
    Row,
    blueprint,
    connectivity,
    landing_zone,
    rid,
    row,
)

WAN = "microsoft.network/virtualwans"
HUB = "microsoft.network/virtualhubs"
HUB_CONNECTION = "microsoft.network/virtualhubs/hubvirtualnetworkconnections"


def virtual_wan(sub: str, rg: str, name: str = "vwan-core", wan_type: str = "Standard") -> Row:
    """A virtual WAN row as Resource Graph returns it."""

    return row(
        rid(sub, rg, "Microsoft.Network/virtualWans", name),
        WAN,
        "westeurope",
        {"type": wan_type, "allowBranchToBranchTraffic": True, "provisioningState": "Succeeded"},
    )


def virtual_hub(sub: str, rg: str, name: str, wan: Row, prefix: str) -> Row:
    """A virtual hub of ``wan`` (address prefix ``prefix``)."""

    return row(
        rid(sub, rg, "Microsoft.Network/virtualHubs", name),
        HUB,
        "westeurope",
        {
            "virtualWan": {"id": wan["id"]},
            "addressPrefix": prefix,
            "sku": "Standard",
            "routingState": "Provisioned",
            "provisioningState": "Succeeded",
        },
    )


def hub_connection(hub: Row, vnet_id: str, state: str = "Succeeded") -> Row:
    """A hub VNet connection of ``hub`` to ``vnet_id``, as the ARM list returns it (in the
    Resource Graph row shape amlguard keeps), with the default routing configuration."""
    name = vnet_id.rstrip("/").rsplit("/", 1)[-1] + "-conn"
    default_rt = f"{hub['id']}/hubRouteTables/defaultRouteTable"
    parts = hub["id"].split("/")
    return {
        "id": f"{hub['id']}/hubVirtualNetworkConnections/{name}",
        "name": name,
        "type": HUB_CONNECTION,
        "kind": "",
        "location": "",
        "resourceGroup": parts[4].lower(),
        "subscriptionId": parts[2],
        "tenantId": hub.get("tenantId", ""),
        "sku": None,
        "identity": None,
        "properties": {
            "remoteVirtualNetwork": {"id": vnet_id},
            "enableInternetSecurity": True,
            "routingConfiguration": {
                "associatedRouteTable": {"id": default_rt},
                "propagatedRouteTables": {"labels": ["default"], "ids": [{"id": default_rt}]},
            },
            "provisioningState": state,
        },
        "tags": {},
    }


@dataclass
class VwanEstate:
    """A spoke workspace whose custom DNS server is the resolver inbound endpoint in a DNS VNet
    (the Connectivity hub VNet, zones linked to it) that it reaches only through Virtual WAN."""

    inst: Instance
    dns: Connectivity
    wan: Row
    hubs: list[Row]
    connections: list[Row] = field(default_factory=list)

    def rows(self) -> list[Row]:
        out = self.inst.rows() + self.dns.rows() + [self.wan, *self.hubs, *self.connections]
        return [copy.deepcopy(r) for r in out]


def vwan_estate(
    layout: str = "same",
    wan_type: str = "Standard",
    spoke_sub: str = "00000000-0000-0000-0000-000000000001",
    network_sub: str = "00000000-0000-0000-0000-0000000000cc",
) -> VwanEstate:
    """``layout`` ``same``: spoke and DNS VNet connected to one hub; ``two``: to two hubs of one
    virtual WAN of type ``wan_type``. No VNet peering anywhere."""
    if layout not in ("same", "two"):
        raise ValueError(f"layout {layout!r} is not 'same' or 'two'")
    dns = connectivity(sub=network_sub, rg="rg-connectivity")
    inst = landing_zone(blueprint(spoke_sub), dns, "resolver")
    inst.vnet["properties"]["virtualNetworkPeerings"] = []
    dns.vnet["properties"]["virtualNetworkPeerings"] = []
    wan = virtual_wan(network_sub, "rg-vwan", wan_type=wan_type)
    first = virtual_hub(network_sub, "rg-vwan", "vhub-weu", wan, "10.200.0.0/23")
    hubs = [first]
    if layout == "two":
        hubs.append(virtual_hub(network_sub, "rg-vwan", "vhub-neu", wan, "10.201.0.0/23"))
    connections = [
        hub_connection(first, inst.vnet["id"]),
        hub_connection(hubs[-1], dns.vnet["id"]),
    ]
    for vnet, hub in ((inst.vnet, first), (dns.vnet, hubs[-1])):
        vnet["properties"]["virtualNetworkPeerings"].append(hub_peering(hub))
    return VwanEstate(inst, dns, wan, hubs, connections)


def hub_peering(hub: Row) -> dict[str, Any]:
    """The peering Azure adds to a VNet connected to ``hub``: to the hub's managed VNet in a
    Microsoft subscription (names as real exports show them: RemoteVnetToHubPeering_<guid>,
    RG_<hub>_<guid>/HV_<hub>_<guid>)."""
    name = hub["name"]
    managed = (
        "/subscriptions/63a13922-f9b7-44ad-800a-87b84ce622d3/resourceGroups/"
        f"RG_{name}_33e8a688-6e34-4fce-8af6-5db929a73890/providers/Microsoft.Network/"
        f"virtualNetworks/HV_{name}_b48f56c5-f434-4b78-850b-684f3017b53b"
    )
    return {
        "name": "RemoteVnetToHubPeering_2943d591-5557-47dd-aedc-ac1564b09909",
        "properties": {
            "remoteVirtualNetwork": {"id": managed},
            "peeringState": "Connected",
            "allowForwardedTraffic": False,
            "useRemoteGateways": True,
        },
    }


def connection_of(estate: VwanEstate, vnet_id: str) -> dict[str, Any]:
    """The hub connection of ``vnet_id`` in ``estate`` (to drift it)."""
    return next(
        c
        for c in estate.connections
        if c["properties"]["remoteVirtualNetwork"]["id"].lower() == vnet_id.lower()
    )
