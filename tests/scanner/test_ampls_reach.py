"""AMLG-250 counts an AMPLS endpoint in a VNet the solution VNet reaches (redteam8 item 8).

Azure Monitor's guidance puts a hub-and-spoke estate's single AMPLS endpoint in the hub VNet. The
endpoint counts where the solution VNet reaches it as AMLG-301 judges a DNS server's VNet: itself,
a Connected peering, Virtual WAN hubs. One in a VNet it does not reach still fails (redteam7 item
6); what decides the reach and was not read is ``error``, never a pass."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from amlguard.cli import cli
from amlguard.scanner.model import Status
from amlguard.scanner.unknown import Unknown
from tests.builders import Connectivity, Instance
from tests.builders_estates3 import connection_of
from tests.builders_fix8b import hub_ampls, peering_to, vwan_ampls
from tests.scanner.harness import one, scan

Row = dict[str, Any]


def _250(rows: list[Row]) -> Any:
    return one(scan(rows, rule_ids=["AMLG-250"]), "AMLG-250")


def test_an_endpoint_in_the_peered_hub_vnet_passes() -> None:
    inst, hub = hub_ampls()
    finding = _250(inst.rows() + hub.rows())
    assert finding.status is Status.PASS, finding.message


@pytest.mark.parametrize("design", ["resolver", "ruleset", "firewall"])
def test_on_by_default_for_aoao_the_hub_estate_passes_every_rule(
    design: str, tmp_path: Path
) -> None:
    """The redteam's reproducer: a default check of the AOAO hub design exits 0."""
    inst, hub = hub_ampls(design, aoao=True)
    snap = tmp_path / "estate.json"
    snap.write_text(json.dumps({"data": inst.rows() + hub.rows()}), encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", "--snapshot", str(snap), "--format", "json"])
    report = json.loads(result.output)
    statuses = {f["rule_id"]: f["status"] for f in report["findings"]}
    assert statuses["AMLG-250"] == "pass"
    assert result.exit_code == 0, [f for f in report["findings"] if f["status"] != "pass"]


@pytest.mark.parametrize("state", ["Disconnected", "Initiated"])
def test_a_peering_that_is_not_connected_fails(state: str) -> None:
    inst, hub = hub_ampls()
    peering_to(inst, hub)["properties"]["peeringState"] = state
    finding = _250(inst.rows() + hub.rows())
    assert finding.status is Status.FAIL
    assert "privateLinkScopes" in finding.message


def test_a_hub_the_spoke_is_not_peered_to_fails() -> None:
    inst, hub = hub_ampls()
    inst.vnet["properties"]["virtualNetworkPeerings"] = []
    hub.vnet["properties"]["virtualNetworkPeerings"] = []
    assert _250(inst.rows() + hub.rows()).status is Status.FAIL


def _no_state(inst: Instance, hub: Connectivity) -> None:
    peering_to(inst, hub)["properties"].pop("peeringState")


def _state_not_text(inst: Instance, hub: Connectivity) -> None:
    peering_to(inst, hub)["properties"]["peeringState"] = ["Connected"]


def _state_unknown(inst: Instance, hub: Connectivity) -> None:
    peering_to(inst, hub)["properties"]["peeringState"] = Unknown("peering state")


def _no_remote(inst: Instance, hub: Connectivity) -> None:
    peering_to(inst, hub)["properties"].pop("remoteVirtualNetwork")


def _peering_not_object(inst: Instance, hub: Connectivity) -> None:
    inst.vnet["properties"]["virtualNetworkPeerings"] = ["to-hub"]


def _peerings_not_list(inst: Instance, hub: Connectivity) -> None:
    inst.vnet["properties"]["virtualNetworkPeerings"] = {"to-hub": True}


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (_no_state, "peeringState"),
        (_state_not_text, "peeringState"),
        (_state_unknown, "unknown before deployment"),
        (_no_remote, "names no remote VNet"),
        (_peering_not_object, "virtualNetworkPeerings[0]"),
        (_peerings_not_list, "virtualNetworkPeerings"),
    ],
    ids=["no-state", "state-not-text", "state-unknown", "no-remote", "not-object", "not-list"],
)
def test_an_unreadable_peering_is_error_never_pass(
    change: Callable[[Instance, Connectivity], None], said: str
) -> None:
    inst, hub = hub_ampls()
    change(inst, hub)
    finding = _250(inst.rows() + hub.rows())
    assert finding.status is Status.ERROR, finding.message
    assert said in finding.message


def test_a_solution_vnet_the_scan_did_not_read_is_error() -> None:
    inst, hub = hub_ampls()
    rows = [r for r in inst.rows() + hub.rows() if r["id"] != inst.vnet["id"]]
    finding = _250(rows)
    assert finding.status is Status.ERROR
    assert "not in the scanned inventory" in finding.message


def test_an_endpoint_only_the_scope_lists_is_error() -> None:
    """The hub endpoint in a subscription the scan does not cover: the scope lists it, where it
    sits cannot be read."""
    inst, hub = hub_ampls()
    pe = inst.endpoints["ampls"]
    rows = [r for r in inst.rows() + hub.rows() if r["id"] != pe["id"]]
    finding = _250(rows)
    assert finding.status is Status.ERROR
    assert "private endpoint" in finding.message and "cannot be read" in finding.message


def test_a_reached_endpoint_is_enough_beside_an_unreadable_one() -> None:
    """An unreadable peering to another VNet does not spoil an endpoint the spoke reaches."""
    inst, hub = hub_ampls()
    inst.vnet["properties"]["virtualNetworkPeerings"].append(
        {"name": "broken", "properties": {"peeringState": "Connected"}}
    )
    assert _250(inst.rows() + hub.rows()).status is Status.PASS


@pytest.mark.parametrize(("layout", "wan_type"), [("same", "Standard"), ("two", "Standard")])
def test_an_endpoint_in_a_vnet_reached_through_virtual_wan_passes(
    layout: str, wan_type: str
) -> None:
    finding = _250(vwan_ampls(layout, wan_type).rows())
    assert finding.status is Status.PASS, finding.message


def test_hubs_of_a_basic_virtual_wan_do_not_reach() -> None:
    assert _250(vwan_ampls("two", "Basic").rows()).status is Status.FAIL


def test_a_hub_connection_not_provisioned_does_not_reach() -> None:
    estate = vwan_ampls()
    connection_of(estate, estate.dns.vnet["id"])["properties"]["provisioningState"] = "Failed"
    assert _250(estate.rows()).status is Status.FAIL


def test_unread_hub_connections_are_error() -> None:
    estate = vwan_ampls()
    estate.connections.clear()
    finding = _250(estate.rows())
    assert finding.status is Status.ERROR
    assert "Virtual WAN hub" in finding.message


def test_an_unread_virtual_wan_is_error() -> None:
    estate = vwan_ampls("two")
    rows = [r for r in estate.rows() if r["id"] != estate.wan["id"]]
    finding = _250(rows)
    assert finding.status is Status.ERROR
    assert "virtual WAN" in finding.message
