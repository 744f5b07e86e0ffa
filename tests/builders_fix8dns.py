"""Estates for AMLG-301 through Azure Firewall DNS proxies (redteam8 items 1, 4, 6 and 7): the
landing-zone and Virtual WAN examples with the firewall, its policy's servers, a DNS VNet and a
secured-hub firewall changed, and a helper that judges spoke-a's zones from a snapshot."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from amlguard.cli import cli
from tests.conftest import EXAMPLES

Row = dict[str, Any]
SUB = "c0ffee00-1111-4222-8333-444455556666"
HUB = f"/subscriptions/{SUB}/resourceGroups/rg-connectivity"
HUB_VNET = f"{HUB}/providers/Microsoft.Network/virtualNetworks/vnet-hub"
DNS_VNET = f"{HUB}/providers/Microsoft.Network/virtualNetworks/vnet-dns"
VWAN_RG = f"/subscriptions/{SUB}/resourceGroups/rg-vwan"
VHUB = f"{VWAN_RG}/providers/Microsoft.Network/virtualHubs/vhub-weu"
VHUB_NEU = f"{VWAN_RG}/providers/Microsoft.Network/virtualHubs/vhub-neu"
HUB_POLICY = f"{VWAN_RG}/providers/Microsoft.Network/firewallPolicies/afwp-vhub"
HUB_FIREWALL = f"{VWAN_RG}/providers/Microsoft.Network/azureFirewalls/afw-vhub-weu"
FIREWALL_IP = "10.100.2.4"
HUB_FIREWALL_IP = "10.200.0.132"
RESOLVER_IP = "10.100.1.4"  # in-hub, in vnet-hub (linked to every zone)
DNS_VNET_RESOLVER_IP = "10.200.0.4"  # in-hub once moved to vnet-dns


def rows_of(example: str) -> list[Row]:
    """The rows of ``examples/estates/<example>.json``."""
    doc = json.loads((EXAMPLES / f"{example}.json").read_text())
    return list(doc["data"] if isinstance(doc, dict) else doc)


def named(rows: list[Row], name: str) -> Row:
    """The row called ``name``."""
    return next(r for r in rows if r["name"] == name)


def without(rows: list[Row], *names: str) -> list[Row]:
    """``rows`` minus those called one of ``names``."""
    return [r for r in rows if r["name"] not in names]


def spoke_a_asks(rows: list[Row], server: str) -> None:
    """spoke-a's VNet asks ``server`` (its only custom DNS server)."""
    props = named(rows, "spoke-a-vnet")["properties"]
    props.setdefault("dhcpOptions", {})["dnsServers"] = [server]


def proxy_servers(rows: list[Row], servers: Any, policy: str = "afwp-hub") -> None:
    """The firewall policy's DNS proxy forwards to ``servers``."""
    named(rows, policy)["properties"]["dnsSettings"] = {"enableProxy": True, "servers": servers}


def peering(name: str, remote: str, state: str = "Connected") -> Row:
    """A VNet peering to ``remote``."""
    return {
        "name": name,
        "properties": {"remoteVirtualNetwork": {"id": remote}, "peeringState": state},
    }


def resolver_in_dns_vnet(rows: list[Row], peered: str = "both") -> None:
    """The Private Resolver and every zone link move to vnet-dns (10.200.0.4); ``peered``:
    ``both`` (vnet-hub and vnet-dns peer each other), ``dns`` (only vnet-dns's side is read),
    ``none`` (no peering between them)."""
    peerings = [peering("to-hub", HUB_VNET)] if peered in ("both", "dns") else []
    rows.append({
        "id": DNS_VNET, "name": "vnet-dns", "type": "microsoft.network/virtualnetworks",
        "location": "westeurope", "resourceGroup": "rg-connectivity", "subscriptionId": SUB,
        "tags": {}, "properties": {
            "addressSpace": {"addressPrefixes": ["10.200.0.0/24"]},
            "virtualNetworkPeerings": peerings,
        },
    })  # fmt: skip
    if peered == "both":
        named(rows, "vnet-hub")["properties"]["virtualNetworkPeerings"].append(
            peering("to-dns", DNS_VNET)
        )
    named(rows, "dnspr-hub")["properties"]["virtualNetwork"]["id"] = DNS_VNET
    endpoint = named(rows, "in-hub")["properties"]["ipConfigurations"][0]
    endpoint["privateIpAddress"] = DNS_VNET_RESOLVER_IP
    endpoint["subnet"]["id"] = f"{DNS_VNET}/subnets/snet-inbound"
    for row in rows:
        linked = row["properties"].get("virtualNetwork", {}).get("id", "")
        if row["type"].lower().endswith("/virtualnetworklinks") and linked == HUB_VNET:
            row["properties"]["virtualNetwork"]["id"] = DNS_VNET
        if row["type"].lower().endswith("/forwardingrules"):
            for target in row["properties"]["targetDnsServers"]:
                target["ipAddress"] = DNS_VNET_RESOLVER_IP


def hub_firewall(rows: list[Row], servers: Any, hub: str = VHUB, policy: bool = True) -> None:
    """A DNS proxy firewall (sku AZFW_Hub) in a secured virtual hub, at HUB_FIREWALL_IP, whose
    policy forwards to ``servers``; without ``policy`` its policy is not in the estate."""
    common = {"location": "westeurope", "resourceGroup": "rg-vwan", "subscriptionId": SUB}
    if policy:
        rows.append({
            "id": HUB_POLICY, "name": "afwp-vhub", "type": "microsoft.network/firewallpolicies",
            **common, "properties": {"dnsSettings": {"enableProxy": True, "servers": servers}},
        })  # fmt: skip
    rows.append({
        "id": HUB_FIREWALL, "name": "afw-vhub-weu", "type": "microsoft.network/azurefirewalls",
        **common, "properties": {
            "sku": {"name": "AZFW_Hub", "tier": "Standard"},
            "virtualHub": {"id": hub},
            "firewallPolicy": {"id": HUB_POLICY},
            "hubIPAddresses": {"privateIPAddress": HUB_FIREWALL_IP, "publicIPs": {"count": 1}},
        },
    })  # fmt: skip


def write(tmp_path: Path, rows: list[Row], name: str = "estate.json") -> Path:
    """The rows as a snapshot file."""
    path = tmp_path / name
    path.write_text(json.dumps({"data": rows}))
    return path


def judge(tmp_path: Path, rows: list[Row], instance: str = "spoke-a-mlw") -> list[Row]:
    """AMLG-301's findings for ``instance`` from a snapshot of ``rows``."""
    result = CliRunner().invoke(
        cli,
        ["check", "--snapshot", str(write(tmp_path, rows)), "--rule", "AMLG-301", "--format",
         "json"],
    )  # fmt: skip
    assert result.exit_code in (0, 1, 3), result.output
    findings = json.loads(result.stdout)["findings"]
    return [f for f in findings if f["instance"].endswith(instance)]


NETWORK_KINDS = ("virtualNetworks", "dnsResolvers", "azureFirewalls", "firewallPolicies",
                 "dnsForwardingRulesets")  # fmt: skip


def network_in(
    rows: list[Row], sub: str, groups: tuple[str, ...] = ("rg-connectivity",)
) -> list[Row]:
    """The rows with the network (VNets, resolvers, firewalls, policies, rulesets) of these
    resource groups moved to subscription ``sub``; the private DNS zones stay where they are."""
    text = json.dumps(rows)
    for group in groups:
        for kind in NETWORK_KINDS:
            old = f"/subscriptions/{SUB}/resourceGroups/{group}/providers/Microsoft.Network/{kind}/"
            text = text.replace(old, old.replace(SUB, sub))
    moved: list[Row] = json.loads(text)
    for row in moved:
        row["subscriptionId"] = row["id"].split("/")[2]
    return moved


ISO_VNET = f"{HUB}/providers/Microsoft.Network/virtualNetworks/vnet-iso"
ISO_RESOLVER_IP = "10.250.0.4"


def rules_forward_to_iso(rows: list[Row], peered: bool) -> None:
    """A VNet vnet-iso (10.250.0.0/24) with resolver dnspr-iso (inbound 10.250.0.4), linked to
    every zone vnet-hub is; every forwarding rule targets it. ``peered``: vnet-hub (where the
    ruleset's outbound endpoint is) and vnet-iso peer each other, else nothing joins them."""
    common = {"location": "westeurope", "resourceGroup": "rg-connectivity", "subscriptionId": SUB,
              "tags": {}}  # fmt: skip
    resolver = f"{HUB}/providers/Microsoft.Network/dnsResolvers/dnspr-iso"
    rows.append(
        {
            "id": ISO_VNET,
            "name": "vnet-iso",
            "type": "microsoft.network/virtualnetworks",
            **common,
            "properties": {
                "addressSpace": {"addressPrefixes": ["10.250.0.0/24"]},
                "virtualNetworkPeerings": [peering("to-hub", HUB_VNET)] if peered else [],
            },
        }
    )
    rows.append(
        {
            "id": resolver,
            "name": "dnspr-iso",
            "type": "microsoft.network/dnsresolvers",
            **common,
            "properties": {"virtualNetwork": {"id": ISO_VNET}},
        }
    )
    rows.append({"id": f"{resolver}/inboundEndpoints/in-iso", "name": "in-iso",
                 "type": "microsoft.network/dnsresolvers/inboundendpoints", **common,
                 "properties": {"ipConfigurations": [{
                     "privateIpAddress": ISO_RESOLVER_IP,
                     "subnet": {"id": f"{ISO_VNET}/subnets/snet-inbound"}}]}})  # fmt: skip
    if peered:
        named(rows, "vnet-hub")["properties"]["virtualNetworkPeerings"].append(
            peering("to-iso", ISO_VNET)
        )
    for row in list(rows):
        kind = row["type"].lower()
        linked = row["properties"].get("virtualNetwork", {}).get("id", "")
        if kind == "microsoft.network/privatednszones/virtualnetworklinks" and linked == HUB_VNET:
            twin = json.loads(json.dumps(row))
            twin["id"] += "-iso"
            twin["name"] += "-iso"
            twin["properties"]["virtualNetwork"]["id"] = ISO_VNET
            rows.append(twin)
        if kind.endswith("/forwardingrules"):
            for target in row["properties"]["targetDnsServers"]:
                target["ipAddress"] = ISO_RESOLVER_IP
