"""Estates for the provisioning state of every DNS and reach hop (redteam10a #2, #3, #9): the
landing-zone and Virtual WAN examples with one resource of a type set to a state, and the
public-name forwarding rules of AMLG-301 (c)."""

from __future__ import annotations

from typing import Any

from tests.builders_fix8dns import (
    FIREWALL_IP,
    HUB,
    RESOLVER_IP,
    SUB,
    named,
    proxy_servers,
    rows_of,
    spoke_a_asks,
)

Row = dict[str, Any]
RULESET = f"{HUB}/providers/Microsoft.Network/dnsForwardingRulesets/dnsfrs-spokes"
RESOLVER = f"{HUB}/providers/Microsoft.Network/dnsResolvers/dnspr-hub"
OUTBOUND = f"{RESOLVER}/outboundEndpoints/out-hub"

#: resource name in landing-zone.json (after :func:`landing_zone`) -> (type, the instances
#: whose 7 zones rely on it: spoke-a asks the resolver (or the firewall), spoke-b the ruleset)
LZ_HOPS: dict[str, tuple[str, tuple[str, ...]]] = {
    "dnspr-hub": ("dnsresolvers", ("spoke-a-mlw", "spoke-b-mlw")),
    "in-hub": ("dnsresolvers/inboundendpoints", ("spoke-a-mlw", "spoke-b-mlw")),
    "out-hub": ("dnsresolvers/outboundendpoints", ("spoke-b-mlw",)),
    "dnsfrs-spokes": ("dnsforwardingrulesets", ("spoke-b-mlw",)),
    "spoke-b-link": ("dnsforwardingrulesets/virtualnetworklinks", ("spoke-b-mlw",)),
}


def outbound_endpoint() -> Row:
    """The ruleset's outbound endpoint ``out-hub`` as ARM lists it (landing-zone.json names
    it only)."""
    return {
        "id": OUTBOUND,
        "name": "out-hub",
        "type": "microsoft.network/dnsresolvers/outboundendpoints",
        "resourceGroup": "rg-connectivity",
        "subscriptionId": SUB,
        "location": "westeurope",
        "properties": {
            "provisioningState": "Succeeded",
            "subnet": {"id": f"{HUB}/providers/Microsoft.Network/virtualNetworks/vnet-hub/subnets/snet-dns-out"},
        },
    }  # fmt: skip


def landing_zone() -> list[Row]:
    """landing-zone.json with its outbound endpoint row (every hop ARM would list)."""
    return [*rows_of("landing-zone"), outbound_endpoint()]


def through_firewall(rows: list[Row]) -> None:
    """spoke-a asks the hub firewall's DNS proxy, which forwards to Azure DNS from vnet-hub."""
    spoke_a_asks(rows, FIREWALL_IP)
    proxy_servers(rows, [])


def set_state(row: Row, state: Any, key: str = "provisioningState") -> Row:
    """``row`` with ``properties[key]`` = ``state`` (``...``: the key removed)."""
    props = row.setdefault("properties", {})
    if state is ...:
        props.pop(key, None)
    else:
        props[key] = state
    return row


def add_rule(rows: list[Row], name: str, domain: str, *targets: str, state: str = "Enabled") -> Row:
    """A forwarding rule of ``dnsfrs-spokes`` (linked to spoke-b) for ``domain``."""
    row = {
        "id": f"{RULESET}/forwardingRules/{name}",
        "name": name,
        "type": "microsoft.network/dnsforwardingrulesets/forwardingrules",
        "resourceGroup": "rg-connectivity",
        "subscriptionId": SUB,
        "properties": {
            "domainName": domain,
            "forwardingRuleState": state,
            "targetDnsServers": [{"ipAddress": t, "port": 53} for t in targets],
            "provisioningState": "Succeeded",
        },
    }
    rows.append(row)
    return row


__all__ = [
    "FIREWALL_IP",
    "LZ_HOPS",
    "OUTBOUND",
    "RESOLVER_IP",
    "RULESET",
    "add_rule",
    "landing_zone",
    "named",
    "outbound_endpoint",
    "set_state",
    "through_firewall",
]
