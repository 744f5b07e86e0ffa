"""Virtual WAN reach follows the hub connections' route tables (redteam9 #11).

VNet A reaches VNet B through Virtual WAN only when B's connection propagates to the route table
A's connection is associated with: by the table's id, or by one of its labels (across the WAN's
hubs). Absent ``routingConfiguration`` is the default (``defaultRouteTable``, label
``default``). A malformed configuration, a custom table whose labels decide but were not read,
and a connection that propagates to ``noneRouteTable`` only (routing intent) are ``error``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard.scanner import dnsforward, vwanroutes
from amlguard.scanner.context import Undeterminable
from amlguard.scanner.inventory import Inventory
from tests import builders_fix8dns as b
from tests import builders_fix9reach as r

HUB_VNET = b.HUB_VNET
SPOKE_A = next(x["id"] for x in b.rows_of("virtual-wan") if x["name"] == "spoke-a-vnet")


def _statuses(findings: list[b.Row]) -> set[str]:
    assert findings, "no AMLG-301 finding"
    return {f["status"] for f in findings}


def test_the_example_resolves_as_before(tmp_path: Path) -> None:
    rows = b.rows_of("virtual-wan")
    for spoke in ("spoke-a-mlw", "spoke-b-mlw"):
        assert _statuses(b.judge(tmp_path, rows, spoke)) == {"pass"}


def test_without_routing_configuration_the_default_table_joins_them(tmp_path: Path) -> None:
    rows = b.rows_of("virtual-wan")
    for row in rows:
        if row["type"].lower().endswith("/hubvirtualnetworkconnections"):
            row["properties"].pop("routingConfiguration")
    for spoke in ("spoke-a-mlw", "spoke-b-mlw"):
        assert _statuses(b.judge(tmp_path, rows, spoke)) == {"pass"}


def test_an_isolated_spoke_whose_table_labels_are_unread_is_an_error(tmp_path: Path) -> None:
    """The redteam's reproducer, as a scan that holds no hubRouteTables rows sees it."""
    rows = b.rows_of("virtual-wan")
    r.isolate_spoke_a(rows)
    findings = b.judge(tmp_path, rows)
    assert _statuses(findings) == {"error"}
    assert all("RT_SPOKES" in f["message"] for f in findings)


def test_an_isolated_spoke_fails_naming_its_route_table(tmp_path: Path) -> None:
    rows = b.rows_of("virtual-wan")
    r.isolate_spoke_a(rows)
    r.route_table(rows, r.RT_SPOKES, ["spokes"])
    findings = b.judge(tmp_path, rows)
    assert _statuses(findings) == {"fail"}
    assert all(
        "which the solution VNet is not peered to" in f["message"]
        and "associated with route table RT_SPOKES, which connection vnet-hub-conn does not "
        "propagate to"
        in f["message"]
        for f in findings
    )
    # spoke-b (default table of the other hub) still reaches vnet-hub by the default label
    assert _statuses(b.judge(tmp_path, rows, "spoke-b-mlw")) == {"pass"}


@pytest.mark.parametrize("how", ["id", "label"])
def test_a_shared_services_vnet_propagating_to_the_spokes_table_is_reached(
    tmp_path: Path, how: str
) -> None:
    """Microsoft's custom isolation: shared services propagate to the isolated spokes' table."""
    rows = b.rows_of("virtual-wan")
    r.isolate_spoke_a(rows)
    r.route_table(rows, r.RT_SPOKES, ["spokes"])
    if how == "id":
        r.routing(rows, "vnet-hub-conn", r.DEFAULT_WEU, [r.DEFAULT_WEU, r.RT_SPOKES], ["default"])
    else:
        r.routing(rows, "vnet-hub-conn", r.DEFAULT_WEU, [r.DEFAULT_WEU], ["default", "SPOKES"])
    assert _statuses(b.judge(tmp_path, rows)) == {"pass"}


def test_across_hubs_only_labels_carry_routes(tmp_path: Path) -> None:
    """vnet-hub propagates to its own hub's default table by id only: spoke-b, on the other
    hub, has no route to it."""
    rows = b.rows_of("virtual-wan")
    r.routing(rows, "vnet-hub-conn", r.DEFAULT_WEU, [r.DEFAULT_WEU], [])
    findings = b.judge(tmp_path, rows, "spoke-b-mlw")
    assert _statuses(findings) == {"fail"}
    assert _statuses(b.judge(tmp_path, rows)) == {"pass"}  # spoke-a shares the table


def test_propagating_to_the_none_table_only_is_an_error(tmp_path: Path) -> None:
    """What routing intent configures: private traffic then goes through the hub firewall."""
    rows = b.rows_of("virtual-wan")
    none = f"{r.VHUB_WEU}/hubRouteTables/noneRouteTable"
    r.routing(rows, "vnet-hub-conn", r.DEFAULT_WEU, [none], ["none"])
    findings = b.judge(tmp_path, rows)
    assert _statuses(findings) == {"error"}
    assert all("noneRouteTable" in f["message"] for f in findings)


@pytest.mark.parametrize(
    "config",
    [
        "default",
        {"associatedRouteTable": {"id": 5}},
        {"associatedRouteTable": "defaultRouteTable"},
        {"propagatedRouteTables": {"labels": "default"}},
        {"propagatedRouteTables": {"ids": ["x"]}},
    ],
)
def test_a_malformed_routing_configuration_is_an_error(tmp_path: Path, config: Any) -> None:
    rows = b.rows_of("virtual-wan")
    b.named(rows, "vnet-hub-conn")["properties"]["routingConfiguration"] = config
    findings = b.judge(tmp_path, rows)
    assert _statuses(findings) == {"error"}
    assert all("routingConfiguration" in f["message"] for f in findings)


def test_a_firewalls_vnet_follows_the_route_tables_too() -> None:
    """The reach a DNS proxy's (or a ruleset's outbound endpoint's) VNet needs."""
    rows = b.rows_of("virtual-wan")
    assert dnsforward.vnet_reach(Inventory(rows), SPOKE_A, HUB_VNET)
    r.isolate_spoke_a(rows)
    r.route_table(rows, r.RT_SPOKES, ["spokes"])
    assert dnsforward.vnet_reach(Inventory(rows), SPOKE_A, HUB_VNET) is None
    r.isolate_spoke_a(rows)
    rows = [x for x in rows if x["name"] != "RT_SPOKES"]
    with pytest.raises(Undeterminable, match="RT_SPOKES"):
        dnsforward.vnet_reach(Inventory(rows), SPOKE_A, HUB_VNET)


_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(
        ["id", "ids", "labels", "associatedRouteTable", "propagatedRouteTables", "x"]), inner,
        max_size=3),
    max_leaves=8,
)  # fmt: skip


@settings(derandomize=True, max_examples=200, deadline=None)
@given(_values)
def test_any_routing_configuration_is_read_or_an_error(config: Any) -> None:
    conn = {
        "id": f"{r.VHUB_WEU}/hubVirtualNetworkConnections/c",
        "properties": {"routingConfiguration": config},
    }
    try:
        associated, table_ids, labels = vwanroutes.routing(conn)
    except Undeterminable:
        return
    assert associated and all(isinstance(t, str) and t for t in table_ids)
    assert all(x == x.lower() for x in labels)
