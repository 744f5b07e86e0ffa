"""AMLG-301 through an Azure Firewall DNS proxy that forwards to servers of its own (redteam7
item 7): the firewall VNet's links play no part then; the zone resolves only when every server
the proxy forwards to does (a Private Resolver inbound endpoint in a VNet linked to the zone, or
a trusted server). On-premises servers are not attributable: fail, naming them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from amlguard.cli import cli
from tests.conftest import EXAMPLES

HUB = "/subscriptions/c0ffee00-1111-4222-8333-444455556666/resourceGroups/rg-connectivity"
HUB_VNET = f"{HUB}/providers/Microsoft.Network/virtualNetworks/vnet-hub"
DNS_VNET = f"{HUB}/providers/Microsoft.Network/virtualNetworks/vnet-dns"
FIREWALL_IP = "10.100.2.4"


def _rows() -> list[dict[str, Any]]:
    doc = json.loads((EXAMPLES / "landing-zone.json").read_text())
    return doc["data"] if isinstance(doc, dict) else doc


def _named(rows: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return next(r for r in rows if r["name"] == name)


def _spoke_a_uses_the_firewall(rows: list[dict[str, Any]], servers: list[str]) -> None:
    _named(rows, "spoke-a-vnet")["properties"]["dhcpOptions"]["dnsServers"] = [FIREWALL_IP]
    _named(rows, "afwp-hub")["properties"]["dnsSettings"]["servers"] = servers


def _resolver_in_its_own_vnet(rows: list[dict[str, Any]]) -> None:
    """The Private Resolver and every zone link move to vnet-dns (peered to the hub, 10.200.0.4):
    the firewall's own VNet is linked to no zone any more."""
    rows.append({
        "id": DNS_VNET, "name": "vnet-dns", "type": "microsoft.network/virtualnetworks",
        "location": "westeurope", "resourceGroup": "rg-connectivity",
        "subscriptionId": "c0ffee00-1111-4222-8333-444455556666", "tags": {},
        "properties": {
            "addressSpace": {"addressPrefixes": ["10.200.0.0/24"]},
            "virtualNetworkPeerings": [{"name": "to-hub", "properties": {
                "remoteVirtualNetwork": {"id": HUB_VNET}, "peeringState": "Connected"}}],
        },
    })  # fmt: skip
    _named(rows, "dnspr-hub")["properties"]["virtualNetwork"]["id"] = DNS_VNET
    endpoint = _named(rows, "in-hub")["properties"]["ipConfigurations"][0]
    endpoint["privateIpAddress"] = "10.200.0.4"
    endpoint["subnet"]["id"] = f"{DNS_VNET}/subnets/snet-inbound"
    for row in rows:
        linked = row["properties"].get("virtualNetwork", {}).get("id", "")
        if (
            row["type"].lower().endswith("/virtualnetworklinks")
            and linked.lower() == HUB_VNET.lower()
        ):
            row["properties"]["virtualNetwork"]["id"] = DNS_VNET
        if row["type"].lower().endswith("/forwardingrules"):
            for target in row["properties"]["targetDnsServers"]:
                target["ipAddress"] = "10.200.0.4"


def _judge(tmp_path: Path, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    path = tmp_path / "estate.json"
    path.write_text(json.dumps({"data": rows}))
    result = CliRunner().invoke(
        cli, ["check", "--snapshot", str(path), "--rule", "AMLG-301", "--format", "json"]
    )
    assert result.exit_code in (0, 1, 3), result.output
    return [
        f for f in json.loads(result.stdout)["findings"] if f["instance"].endswith("spoke-a-mlw")
    ]


def test_a_proxy_forwarding_on_premises_does_not_resolve(tmp_path: Path) -> None:
    rows = _rows()
    _spoke_a_uses_the_firewall(rows, ["192.168.10.10", "192.168.10.11"])
    findings = _judge(tmp_path, rows)
    assert findings and all(f["status"] == "fail" for f in findings)
    assert all("forwards to 192.168.10.10, 192.168.10.11" in f["message"] for f in findings)


def test_a_proxy_forwarding_to_a_linked_resolver_resolves(tmp_path: Path) -> None:
    rows = _rows()
    _resolver_in_its_own_vnet(rows)
    _spoke_a_uses_the_firewall(rows, ["10.200.0.4"])
    findings = _judge(tmp_path, rows)
    assert findings and all(f["status"] == "pass" for f in findings), findings
    assert all("which forwards to DNS Private Resolver inbound endpoint in-hub" in f["message"]
               for f in findings)  # fmt: skip


def test_one_unattributable_server_of_several_fails(tmp_path: Path) -> None:
    rows = _rows()
    _resolver_in_its_own_vnet(rows)
    _spoke_a_uses_the_firewall(rows, ["10.200.0.4", "192.168.10.10"])
    findings = _judge(tmp_path, rows)
    assert findings and all(f["status"] == "fail" and "192.168.10.10" in f["message"]
                            for f in findings)  # fmt: skip


def test_a_proxy_with_no_servers_answers_from_its_own_vnet(tmp_path: Path) -> None:
    rows = _rows()
    _spoke_a_uses_the_firewall(rows, [])
    findings = _judge(tmp_path, rows)
    assert findings and all(f["status"] == "pass" for f in findings)
    assert all("Azure Firewall DNS proxy afw-hub" in f["message"] for f in findings)


@pytest.mark.parametrize("servers", ["10.200.0.4", [3], {"a": 1}])
def test_unreadable_servers_are_an_error(tmp_path: Path, servers: Any) -> None:
    rows = _rows()
    _spoke_a_uses_the_firewall(rows, servers)
    findings = _judge(tmp_path, rows)
    assert findings and all(f["status"] == "error" for f in findings)
    assert all("dnsSettings.servers" in f["message"] for f in findings)
