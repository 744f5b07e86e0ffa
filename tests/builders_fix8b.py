"""Estate builders for fix8b (redteam8 items 8 and 15): a hub-and-spoke estate whose single Azure
Monitor private link scope endpoint sits in the hub VNet, as Azure Monitor's guidance puts it
(learn.microsoft.com/azure/azure-monitor/logs/private-link-design: "If your networks are peered,
create the private link connection on the shared (or hub) virtual network")."""

from __future__ import annotations

from typing import Any

from tests.builders import Connectivity, Instance, blueprint, connectivity, landing_zone
from tests.builders_estates3 import VwanEstate, vwan_estate
from tests.builders_integrations import hardened

Row = dict[str, Any]


def hub_subnet(hub: Connectivity) -> str:
    """The private-endpoint subnet of the hub VNet."""
    return f"{hub.vnet['id']}/subnets/snet-pe"


def move_ampls_endpoint(inst: Instance, subnet: str) -> Row:
    """Put ``inst``'s AMPLS private endpoint in ``subnet``; returns the endpoint."""
    pe = inst.endpoints["ampls"]
    pe["properties"]["subnet"]["id"] = subnet
    return pe


def hub_ampls(design: str = "resolver", aoao: bool = False) -> tuple[Instance, Connectivity]:
    """The hardened blueprint (App Insights private behind an AMPLS) in a landing zone (zones
    in the hub, spoke peered Connected to the hub), the AMPLS endpoint in the hub VNet."""
    inst = blueprint()
    if aoao:
        inst.workspace["properties"]["managedNetwork"]["isolationMode"] = (
            "AllowOnlyApprovedOutbound"
        )
    hardened(inst)
    hub = connectivity()
    landing_zone(inst, hub, design)
    move_ampls_endpoint(inst, hub_subnet(hub))
    return inst, hub


def vwan_ampls(layout: str = "same", wan_type: str = "Standard") -> VwanEstate:
    """The hardened blueprint reaching its DNS VNet only through Virtual WAN hubs, with the AMPLS
    endpoint in that DNS VNet."""
    estate = vwan_estate(layout, wan_type)
    hardened(estate.inst)
    # the monitor zones stay in the spoke (vwan_estate moved the others): AMLG-250 reads the
    # endpoint's zone group, not where its zones live
    move_ampls_endpoint(estate.inst, hub_subnet(estate.dns))
    return estate


def peering_to(inst: Instance, hub: Connectivity) -> dict[str, Any]:
    """The spoke's peering entry to the hub VNet (to drift it)."""
    return next(
        p
        for p in inst.vnet["properties"]["virtualNetworkPeerings"]
        if p["properties"]["remoteVirtualNetwork"]["id"].lower() == hub.vnet["id"].lower()
    )
