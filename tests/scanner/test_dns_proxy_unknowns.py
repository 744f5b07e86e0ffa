"""redteam8 item 12: a firewall DNS proxy whose settings are known only after deployment (a
template's ``reference()``) makes the zones a spoke resolves through it ``error`` ("unknown
before deployment"), never ``fail``: the proxy switch, a forwarded server, the classic
firewall's server list."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from amlguard.scanner.model import Status
from amlguard.scanner.unknown import Unknown
from tests.builders import FIREWALL_IP, blueprint, connectivity, landing_zone
from tests.scanner.harness import of_rule, scan

ZONES = 7


def _policy(hub: Any) -> dict[str, Any]:
    return next(r for r in hub.network if r["type"] == "microsoft.network/firewallpolicies")


def _firewall(hub: Any) -> dict[str, Any]:
    return next(r for r in hub.network if r["type"] == "microsoft.network/azurefirewalls")


def _switch(hub: Any) -> None:
    _policy(hub)["properties"]["dnsSettings"]["enableProxy"] = Unknown(
        "p:enableProxy", False, "hub.bicep:9"
    )


def _server(hub: Any) -> None:
    _policy(hub)["properties"]["dnsSettings"]["servers"] = [Unknown("r:ip", False, "hub.bicep:20")]


def _classic(hub: Any) -> None:
    firewall = _firewall(hub)
    del firewall["properties"]["firewallPolicy"]
    firewall["properties"]["additionalProperties"] = {
        "Network.DNS.EnableProxy": "true",
        "Network.DNS.Servers": Unknown("fw:servers", False, "hub.bicep:31"),
    }


def _classic_switch(hub: Any) -> None:
    firewall = _firewall(hub)
    del firewall["properties"]["firewallPolicy"]
    firewall["properties"]["additionalProperties"] = {
        "Network.DNS.EnableProxy": Unknown("fw:proxy", False, "hub.bicep:30")
    }


@pytest.mark.parametrize("change", [_switch, _server, _classic, _classic_switch])
def test_an_unknown_proxy_setting_is_error_in_every_zone(change: Callable[[Any], None]) -> None:
    hub = connectivity()
    inst = landing_zone(blueprint(), hub, "firewall")
    before = of_rule(scan(inst.rows() + hub.rows()), "AMLG-301")
    assert {f.status for f in before} == {Status.PASS} and len(before) == ZONES
    change(hub)
    found = of_rule(scan(inst.rows() + hub.rows()), "AMLG-301")
    assert {f.status for f in found} == {Status.ERROR} and len(found) == ZONES
    assert all("unknown before deployment" in f.message for f in found)
    assert all("hub.bicep:" in f.message for f in found), found[0].message


def test_a_known_proxy_still_passes_beside_the_check() -> None:
    hub = connectivity()
    inst = landing_zone(blueprint(), hub, "firewall")
    _policy(hub)["properties"]["dnsSettings"]["servers"] = []
    found = of_rule(scan(inst.rows() + hub.rows()), "AMLG-301")
    assert {f.status for f in found} == {Status.PASS}
    assert all(FIREWALL_IP in f.message for f in found)
