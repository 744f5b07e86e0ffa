"""The Virtual WAN example estates (``examples/estates/virtual-wan*.json``), from the builders.

Two spokes in two subscriptions whose clients ask a DNS Private Resolver inbound endpoint (custom
DNS) in a DNS VNet of a connectivity subscription; the central private DNS zones are linked to
that DNS VNet only. No VNet peering anywhere: spoke A and the DNS VNet are connected to Virtual
WAN hub ``vhub-weu``, spoke B to hub ``vhub-neu`` of the same Standard virtual WAN (hub-to-hub
transit), each VNet carrying the ``RemoteVnetToHubPeering_*`` peering Azure adds. This is
AMLG-301 case (b) through Virtual WAN (real-estates 4.2, ``scanner/vwan.py``). Registered in
``tests.make_examples.ESTATES`` so the committed files never drift from these builders.
"""

from __future__ import annotations

from tests.builders import Row, blueprint, connectivity, landing_zone
from tests.builders_estates3 import hub_connection, hub_peering, virtual_hub, virtual_wan

SUB_A = "8f1c2a6e-3b4d-4e5f-9a0b-1c2d3e4f5a6b"
SUB_B = "d2e3f4a5-b6c7-4d8e-9f0a-1b2c3d4e5f60"
SUB_HUB = "c0ffee00-1111-4222-8333-444455556666"


def _estate(wan_type: str) -> list[Row]:
    dns = connectivity(SUB_HUB, "rg-connectivity", "westeurope")
    spokes = [
        landing_zone(blueprint(SUB_A, "ml-spoke-a", "spoke-a", "westeurope"), dns, "resolver"),
        landing_zone(blueprint(SUB_B, "ml-spoke-b", "spoke-b", "westeurope"), dns, "resolver"),
    ]
    wan = virtual_wan(SUB_HUB, "rg-vwan", "vwan-core", wan_type)
    weu = virtual_hub(SUB_HUB, "rg-vwan", "vhub-weu", wan, "10.200.0.0/23")
    neu = virtual_hub(SUB_HUB, "rg-vwan", "vhub-neu", wan, "10.201.0.0/23")
    wiring = ((dns.vnet, weu), (spokes[0].vnet, weu), (spokes[1].vnet, neu))
    for vnet, hub in wiring:  # reach through the hubs only: no VNet peering
        vnet["properties"]["virtualNetworkPeerings"] = [hub_peering(hub)]
    connections = [hub_connection(hub, vnet["id"]) for vnet, hub in wiring]
    rows = [r for s in spokes for r in s.rows()] + dns.rows()
    return [*rows, wan, weu, neu, *connections]


def virtual_wan_estate() -> list[Row]:
    """Spoke A reaches the resolver through the hub both are connected to, spoke B through
    hub-to-hub transit of a Standard virtual WAN: compliant."""
    return _estate("Standard")


def virtual_wan_drifted() -> list[Row]:
    """The virtual WAN was created (or re-created) as Basic: hubs do not pass traffic to each
    other, so spoke B's clients cannot reach the resolver and none of its zones resolves
    (AMLG-301 fails for spoke B only; spoke A, on the resolver's own hub, still passes)."""
    return _estate("Basic")


#: the rule, instance (workspace name) and status of every finding of the drifted estate that
#: does not pass
VWAN_DRIFTED_NOT_PASSING = {("AMLG-301", "spoke-b-mlw", "fail")}
