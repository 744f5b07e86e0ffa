"""A ``Connected`` peering whose ``allowVirtualNetworkAccess`` is false is no path (redteam9 #8).

Such a leg drops all traffic between the two address spaces while ``peeringState`` stays
``Connected``. Every reach test reads it: AMLG-301 (spoke -> resolver, firewall -> server, ruleset
outbound endpoint -> target) and AMLG-250 (spoke -> AMPLS endpoint). The leg of the VNet that
sends decides; absent = true; a flag that is not a boolean is ``error``; the words say why.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard.scanner import peerings
from amlguard.scanner.context import Undeterminable
from amlguard.scanner.model import Status
from tests import builders_fix8dns as b
from tests.builders_fix8b import hub_ampls, peering_to
from tests.scanner.harness import one, scan

BLOCKED = "is Connected but allowVirtualNetworkAccess is false: it passes no traffic"


def _leg(rows: list[b.Row], vnet: str, remote: str) -> dict[str, Any]:
    """``vnet``'s peering properties to the VNet called ``remote``."""
    return next(
        p["properties"]
        for p in b.named(rows, vnet)["properties"]["virtualNetworkPeerings"]
        if p["properties"]["remoteVirtualNetwork"]["id"].lower().endswith("/" + remote)
    )


def _statuses(findings: list[b.Row]) -> set[str]:
    assert findings, "spoke-a has no AMLG-301 finding"
    return {f["status"] for f in findings}


# --- the leg itself ------------------------------------------------------------------------


def _peering(flag: Any, state: str = "Connected") -> dict[str, Any]:
    props: dict[str, Any] = {"remoteVirtualNetwork": {"id": "/x/vnets/B"}, "peeringState": state}
    if flag is not peerings.ACCESS:  # the name itself stands for "absent"
        props[peerings.ACCESS] = flag
    return {"name": "to-b", "properties": props}


@pytest.mark.parametrize(
    ("flag", "expected"),
    [(peerings.ACCESS, True), (None, True), (True, True), (False, False)],
)
def test_absent_or_true_passes_and_false_does_not(flag: Any, expected: bool) -> None:
    assert peerings.passes(_peering(flag)) is expected
    vnet = {"id": "/x/vnets/A", "properties": {"virtualNetworkPeerings": [_peering(flag)]}}
    ok, why = peerings.leg_path(vnet, "/X/VNETS/b")  # ids compared case-insensitively
    assert ok is expected
    assert (BLOCKED in why) is (not expected)


@settings(derandomize=True, max_examples=150, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=8) | st.floats(),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner),
        max_leaves=6,
    )
)
def test_any_flag_is_a_verdict_or_an_error_never_a_crash(flag: Any) -> None:
    """Data we did not write: a boolean (or absent) decides; anything else is ``error``."""
    try:
        got = peerings.passes(_peering(flag), "/x/vnets/A")
    except Undeterminable as exc:
        assert flag is not None and not isinstance(flag, bool)
        assert "not a boolean" in str(exc)
    else:
        assert got is (flag is not False)
        assert flag is None or isinstance(flag, bool)


def test_a_leg_not_connected_is_no_path_whatever_the_flag() -> None:
    vnet = {
        "id": "/x/vnets/A",
        "properties": {"virtualNetworkPeerings": [_peering(True, "Initiated")]},
    }
    assert peerings.leg_path(vnet, "/x/vnets/B") == (False, "")


# --- AMLG-301: the spoke's leg to the resolver's VNet (the redteam's reproducer) -------------


def test_a_spoke_whose_leg_to_the_hub_passes_nothing_fails(tmp_path: Path) -> None:
    rows = b.rows_of("landing-zone")
    _leg(rows, "spoke-a-vnet", "vnet-hub")[peerings.ACCESS] = False
    _leg(rows, "vnet-hub", "spoke-a-vnet")[peerings.ACCESS] = False
    findings = b.judge(tmp_path, rows)
    assert _statuses(findings) == {"fail"}
    assert all(
        "in-hub (10.100.1.4) in VNet vnet-hub, which the solution VNet is not peered to"
        in f["message"]
        and f"the peering of VNet spoke-a-vnet to VNet vnet-hub {BLOCKED}" in f["message"]
        for f in findings
    )
    # spoke-b resolves through a ruleset whose outbound endpoint sits in the hub: unchanged
    assert _statuses(b.judge(tmp_path, rows, "spoke-b-mlw")) == {"pass"}


def test_the_spokes_own_leg_decides_not_the_hubs(tmp_path: Path) -> None:
    """A query the spoke starts needs nothing from the hub's leg (responses return)."""
    rows = b.rows_of("landing-zone")
    _leg(rows, "vnet-hub", "spoke-a-vnet")[peerings.ACCESS] = False
    _leg(rows, "spoke-a-vnet", "vnet-hub")[peerings.ACCESS] = True
    assert _statuses(b.judge(tmp_path, rows)) == {"pass"}


@pytest.mark.parametrize("flag", ["false", 0, [False], {"value": False}])
def test_a_flag_that_is_not_a_boolean_is_an_error(tmp_path: Path, flag: Any) -> None:
    rows = b.rows_of("landing-zone")
    _leg(rows, "spoke-a-vnet", "vnet-hub")[peerings.ACCESS] = flag
    findings = b.judge(tmp_path, rows)
    assert _statuses(findings) == {"error"}
    assert all("allowVirtualNetworkAccess" in f["message"] for f in findings)


# --- AMLG-301: the firewall's leg to the server its DNS proxy forwards to --------------------


def test_a_firewall_whose_leg_to_the_server_passes_nothing_fails(tmp_path: Path) -> None:
    rows = b.rows_of("landing-zone")
    b.resolver_in_dns_vnet(rows, "both")
    b.spoke_a_asks(rows, b.FIREWALL_IP)
    b.proxy_servers(rows, [b.DNS_VNET_RESOLVER_IP])
    assert _statuses(b.judge(tmp_path, rows)) == {"pass"}
    _leg(rows, "vnet-hub", "vnet-dns")[peerings.ACCESS] = False
    findings = b.judge(tmp_path, rows)
    assert _statuses(findings) == {"fail"}
    assert all(
        "which the firewall's VNet vnet-hub is not peered to" in f["message"]
        and f"the peering of VNet vnet-hub to VNet vnet-dns {BLOCKED}" in f["message"]
        for f in findings
    )


def test_where_only_the_far_leg_was_read_its_flag_is_the_evidence(tmp_path: Path) -> None:
    rows = b.rows_of("landing-zone")
    b.resolver_in_dns_vnet(rows, "dns")  # only vnet-dns's leg back to vnet-hub exists
    b.spoke_a_asks(rows, b.FIREWALL_IP)
    b.proxy_servers(rows, [b.DNS_VNET_RESOLVER_IP])
    _leg(rows, "vnet-dns", "vnet-hub")[peerings.ACCESS] = False
    assert _statuses(b.judge(tmp_path, rows)) == {"fail"}


# --- AMLG-301: the ruleset outbound endpoint's leg to the rule's target ----------------------


def test_an_outbound_endpoint_whose_leg_passes_nothing_fails(tmp_path: Path) -> None:
    rows = b.rows_of("landing-zone")
    b.rules_forward_to_iso(rows, peered=True)
    assert _statuses(b.judge(tmp_path, rows, "spoke-b-mlw")) == {"pass"}
    _leg(rows, "vnet-hub", "vnet-iso")[peerings.ACCESS] = False
    findings = b.judge(tmp_path, rows, "spoke-b-mlw")
    assert _statuses(findings) == {"fail"}
    assert all(
        f"the peering of VNet vnet-hub to VNet vnet-iso {BLOCKED}" in f["message"] for f in findings
    )


# --- AMLG-250: the spoke's leg to the AMPLS endpoint's VNet ----------------------------------


def test_an_ampls_endpoint_behind_a_leg_that_passes_nothing_fails() -> None:
    inst, hub = hub_ampls()
    peering_to(inst, hub)["properties"][peerings.ACCESS] = False
    finding = one(scan(inst.rows() + hub.rows(), rule_ids=["AMLG-250"]), "AMLG-250")
    assert finding.status is Status.FAIL


def test_an_ampls_endpoint_behind_a_malformed_flag_is_an_error() -> None:
    inst, hub = hub_ampls()
    peering_to(inst, hub)["properties"][peerings.ACCESS] = "no"
    finding = one(scan(inst.rows() + hub.rows(), rule_ids=["AMLG-250"]), "AMLG-250")
    assert finding.status is Status.ERROR
    assert "allowVirtualNetworkAccess" in finding.message
