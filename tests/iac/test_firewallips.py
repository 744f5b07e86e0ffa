"""amlguard.iac.firewallips: the private address Azure gives a template's firewall, and the
estate's address kept when a template redeploys a firewall over it."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard.iac import firewallips
from amlguard.iac.combined import _keep_runtime

NET = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network"
HUB = f"{NET}/virtualNetworks/vnet-hub"
FW = f"{NET}/azureFirewalls/afw"


def rows(prefix: Any, written: str | None = None, subnet: str = "AzureFirewallSubnet") -> list:
    cfg: dict[str, Any] = {"subnet": {"id": f"{HUB}/subnets/{subnet}"}}
    if written is not None:
        cfg["privateIPAddress"] = written
    return [
        {
            "id": HUB,
            "type": "Microsoft.Network/virtualNetworks",
            "properties": {"subnets": [{"name": subnet, "properties": {"addressPrefix": prefix}}]},
        },
        {
            "id": FW,
            "type": "Microsoft.Network/azureFirewalls",
            "properties": {"ipConfigurations": [{"name": "ipc", "properties": cfg}]},
        },
    ]


def test_the_first_free_address_of_the_firewall_subnet() -> None:
    assert firewallips.candidates(rows("10.100.0.0/26")) == {FW.lower(): "10.100.0.4"}
    assert firewallips.candidates(rows("10.7.3.64/26")) == {FW.lower(): "10.7.3.68"}


def test_no_candidate_when_written_unreadable_or_elsewhere() -> None:
    assert firewallips.candidates(rows("10.100.0.0/26", written="10.100.0.9")) == {}
    assert firewallips.candidates(rows("not a prefix")) == {}
    assert firewallips.candidates(rows("10.100.0.0/30")) == {}  # too small for .4
    assert firewallips.candidates(rows("10.100.0.0/26", subnet="other")) == {}
    assert firewallips.candidates(rows("10.100.0.0/26"), only=set()) == {}


def test_with_addresses_sets_the_subnet_configuration_only_and_copies() -> None:
    given_rows = rows("10.100.0.0/26")
    out = firewallips.with_addresses(given_rows, {FW.lower(): "10.100.0.4"})
    cfg = out[1]["properties"]["ipConfigurations"][0]["properties"]
    assert cfg["privateIPAddress"] == "10.100.0.4"
    assert (
        "privateIPAddress" not in given_rows[1]["properties"]["ipConfigurations"][0]["properties"]
    )
    assert out[0] is given_rows[0]


def test_a_redeployed_firewall_keeps_the_estate_address() -> None:
    new = rows("10.100.0.0/26")[1]
    old = rows("10.100.0.0/26", written="10.100.0.4")[1]
    _keep_runtime(new, old)
    assert new["properties"]["ipConfigurations"][0]["properties"]["privateIPAddress"] == (
        "10.100.0.4"
    )
    assert firewallips.candidates([rows("10.100.0.0/26")[0], new]) == {}


@settings(derandomize=True, max_examples=200, deadline=None)
@given(st.text(max_size=20), st.one_of(st.none(), st.text(max_size=8), st.integers()))
def test_any_written_prefix_or_address_never_raises(prefix: str, written: Any) -> None:
    found = firewallips.candidates(rows(prefix, written if isinstance(written, str) else None))
    assert set(found) <= {FW.lower()}
    for address in found.values():
        assert address.count(".") == 3
