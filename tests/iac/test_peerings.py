"""amlguard.iac.peerings: child peerings folded into their VNet, declared states decided
(redteam9 #9)."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard.iac import peerings
from amlguard.iac.values import Unknown

RG = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks"
HUB, SPOKE, OTHER = f"{RG}/vnet-hub", f"{RG}/vnet-spoke", f"{RG}/vnet-other"


def vnet(vid: str, inline: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    props: dict[str, Any] = {"addressSpace": {"addressPrefixes": ["10.0.0.0/16"]}}
    if inline is not None:
        props["virtualNetworkPeerings"] = inline
    return {"id": vid, "type": "Microsoft.Network/virtualNetworks", "properties": props}


def child(parent: str, name: str, remote: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": f"{parent}/virtualNetworkPeerings/{name}",
        "type": "Microsoft.Network/virtualNetworks/virtualNetworkPeerings",
        "properties": {"remoteVirtualNetwork": {"id": remote}, **extra},
    }


def entry(name: str, remote: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "properties": {"remoteVirtualNetwork": {"id": remote}, **extra}}


def peerings_of(rows: list[dict[str, Any]], vid: str) -> list[dict[str, Any]]:
    row = next(r for r in rows if r["id"].lower() == vid.lower())
    found: list[dict[str, Any]] = row["properties"]["virtualNetworkPeerings"]
    return found


def test_child_rows_are_folded_into_their_vnet_and_are_no_rows_of_their_own() -> None:
    rows = [vnet(HUB), vnet(SPOKE), child(SPOKE, "to-hub", HUB, allowVirtualNetworkAccess=False)]
    out = peerings.fold(rows)
    assert [r["id"] for r in out] == [HUB, SPOKE]
    (folded,) = peerings_of(out, SPOKE)
    assert folded["id"] == f"{SPOKE}/virtualNetworkPeerings/to-hub"
    assert folded["name"] == "to-hub"
    assert folded["type"] == peerings.PEERING_TYPE
    # every declared property is kept as written (allowVirtualNetworkAccess false included)
    assert folded["properties"] == {
        "remoteVirtualNetwork": {"id": HUB},
        "allowVirtualNetworkAccess": False,
    }
    assert "virtualNetworkPeerings" not in rows[1]["properties"]  # never changed in place


def test_fold_matches_the_parent_case_insensitively_and_the_child_wins_over_an_inline_twin() -> (
    None
):
    rows = [
        vnet(SPOKE, [entry("TO-HUB", OTHER), entry("keep", OTHER)]),
        child(SPOKE.upper().replace("/SUBSCRIPTIONS", "/subscriptions"), "to-hub", HUB),
    ]
    rows[1]["type"] = "MICROSOFT.NETWORK/VIRTUALNETWORKS/VIRTUALNETWORKPEERINGS"
    out = peerings.fold(rows)
    assert len(out) == 1
    names = [p["name"] for p in peerings_of(out, SPOKE)]
    assert names == ["keep", "to-hub"]
    assert peerings_of(out, SPOKE)[1]["properties"]["remoteVirtualNetwork"]["id"] == HUB


def test_a_child_whose_vnet_is_absent_or_unreadable_stays_a_row() -> None:
    unknown_props = {"id": SPOKE, "type": "Microsoft.Network/virtualNetworks"}
    unknown_props["properties"] = Unknown("x:properties")  # type: ignore[assignment]
    rows = [unknown_props, child(SPOKE, "to-hub", HUB), child(HUB, "to-spoke", SPOKE)]
    out = peerings.fold(rows)
    assert out == rows


def test_inline_peerings_get_the_id_arm_gives_them() -> None:
    out = peerings.with_ids([vnet(HUB, [entry("to-spoke", SPOKE), {"id": "kept", "name": "x"}])])
    assert [p["id"] for p in peerings_of(out, HUB)] == [
        f"{HUB}/virtualNetworkPeerings/to-spoke",
        "kept",
    ]


def test_both_legs_declared_are_assumed_connected() -> None:
    rows = [vnet(HUB), vnet(SPOKE), child(SPOKE, "to-hub", HUB), child(HUB, "to-spoke", SPOKE)]
    out, decided = peerings.prepare(rows)
    assert peerings_of(out, SPOKE)[0]["properties"]["peeringState"] == "Connected"
    assert peerings_of(out, HUB)[0]["properties"]["peeringState"] == "Connected"
    assert set(decided.values()) == {peerings.BOTH_DECLARED}
    assert len(decided) == 2


def test_the_remote_leg_as_a_child_of_a_vnet_outside_the_template_counts() -> None:
    rows = [vnet(SPOKE), child(SPOKE, "to-hub", HUB), child(HUB, "to-spoke", SPOKE)]
    out, decided = peerings.prepare(rows)
    assert peerings_of(out, SPOKE)[0]["properties"]["peeringState"] == "Connected"
    assert out[1]["id"].endswith("/to-spoke")  # the hub leg stays a row: no hub row to fold into
    assert decided[f"{SPOKE}/virtualNetworkPeerings/to-hub".lower()] == peerings.BOTH_DECLARED


def test_a_missing_remote_leg_is_unknown_never_not_peered() -> None:
    rows = [vnet(HUB), vnet(SPOKE), child(SPOKE, "to-hub", HUB), child(OTHER, "to-spoke", SPOKE)]
    out, decided = peerings.prepare(rows)
    state = peerings_of(out, SPOKE)[0]["properties"]["peeringState"]
    assert isinstance(state, Unknown)
    assert state.key == peerings.state_key(f"{SPOKE}/virtualNetworkPeerings/to-hub")
    assert decided[f"{SPOKE}/virtualNetworkPeerings/to-hub".lower()] == peerings.UNKNOWN


def test_a_hand_written_state_is_not_believed() -> None:
    """peeringState is read-only: ARM ignores it in a template, so amlguard does too."""
    rows = [vnet(SPOKE, [entry("to-hub", HUB, peeringState="Connected")])]
    out, decided = peerings.prepare(rows)
    assert isinstance(peerings_of(out, SPOKE)[0]["properties"]["peeringState"], Unknown)
    assert list(decided.values()) == [peerings.UNKNOWN]


def test_an_unknown_remote_vnet_is_an_unknown_state() -> None:
    rows = [vnet(HUB), vnet(SPOKE, [entry("to-hub", Unknown("param hub"))])]
    rows[0]["properties"]["virtualNetworkPeerings"] = [entry("to-spoke", SPOKE)]
    out, decided = peerings.prepare(rows)
    assert isinstance(peerings_of(out, SPOKE)[0]["properties"]["peeringState"], Unknown)
    assert decided[f"{SPOKE}/virtualNetworkPeerings/to-hub".lower()] == peerings.UNKNOWN


def estate_hub(state: str) -> dict[str, Any]:
    return vnet(HUB, [entry("to-spoke", SPOKE.lower(), peeringState=state)])


def test_a_remote_leg_in_the_estate_connected_or_waiting_is_assumed() -> None:
    for state in ("Connected", "Initiated", " connected "):
        template = [vnet(SPOKE), child(SPOKE, "to-hub", HUB)]
        _rows, decided = peerings.prepare(template)
        merged, again = peerings.prepare([estate_hub(state), *_rows], list(decided))
        assert peerings_of(merged, SPOKE)[0]["properties"]["peeringState"] == "Connected"
        assert list(again.values()) == [peerings.IN_ESTATE]
        # the estate's own peering is read, never rewritten
        assert peerings_of(merged, HUB)[0]["properties"]["peeringState"] == state


def test_a_disconnected_estate_leg_does_not_connect() -> None:
    template, decided = peerings.prepare([vnet(SPOKE), child(SPOKE, "to-hub", HUB)])
    merged, again = peerings.prepare([estate_hub("Disconnected"), *template], list(decided))
    assert isinstance(peerings_of(merged, SPOKE)[0]["properties"]["peeringState"], Unknown)
    assert list(again.values()) == [peerings.UNKNOWN]


def test_a_template_leg_is_folded_into_an_estate_vnet() -> None:
    """The hub leg a spoke template declares on the existing hub joins the estate's hub row."""
    estate = vnet(HUB, [entry("to-other", OTHER, peeringState="Connected")])
    template, decided = peerings.prepare(
        [vnet(SPOKE), child(SPOKE, "to-hub", HUB), child(HUB, "to-spoke", SPOKE)]
    )
    merged, again = peerings.prepare([estate, *template], list(decided))
    hub = peerings_of(merged, HUB)
    assert [p["name"] for p in hub] == ["to-other", "to-spoke"]
    assert hub[1]["properties"]["peeringState"] == "Connected"
    assert set(again.values()) == {peerings.BOTH_DECLARED}
    assert not any(r["id"].endswith("/to-spoke") for r in merged)


def test_no_peering_leaves_rows_as_they_are() -> None:
    rows = [vnet(HUB), {"id": "x", "type": "Microsoft.Storage/storageAccounts"}]
    out, decided = peerings.prepare(rows)
    assert out == rows
    assert decided == {}


_names = st.sampled_from(["a", "B", "to-hub", "TO-HUB", "x"])
_vnets = st.sampled_from([HUB, SPOKE, OTHER, HUB.lower()])


@settings(derandomize=True, max_examples=150, deadline=None)
@given(
    st.lists(st.tuples(_vnets, _names, _vnets), max_size=6),
    st.lists(st.tuples(_vnets, _names, _vnets), max_size=4),
    st.sets(st.sampled_from([HUB, SPOKE, OTHER]), max_size=3),
)
def test_fold_keeps_every_peering_once_and_decides_every_declared_state(
    children: list[tuple[str, str, str]],
    inline: list[tuple[str, str, str]],
    present: set[str],
) -> None:
    # ARM names are unique per VNet (case-insensitively), ids unique per deployment
    inline = list({(v.lower(), n.lower()): (v, n, r) for v, n, r in inline}.values())
    children = list({(p.lower(), n.lower()): (p, n, r) for p, n, r in children}.values())
    rows: list[dict[str, Any]] = []
    for vid in sorted(present):
        mine = [entry(n, r) for v, n, r in inline if v.lower() == vid.lower()]
        rows.append(vnet(vid, mine))
    rows += [child(p, n, r) for p, n, r in children]
    out, decided = peerings.prepare(rows)
    expected: dict[str, set[str]] = {}
    for vid in present:
        expected[vid.lower()] = {n.lower() for v, n, _r in inline if v.lower() == vid.lower()}
    for p, n, _r in children:
        if p.lower() in expected:
            expected[p.lower()].add(n.lower())
    for vid, names in expected.items():
        got = [p["name"].lower() for p in peerings_of(out, vid)]
        assert sorted(got) == sorted(names)  # each name once: a later write replaces
    standalone = [r for r in out if r["type"].lower() == peerings.PEERING]
    assert {r["id"].lower().split("/virtualnetworkpeerings/")[0] for r in standalone}.isdisjoint(
        expected
    )
    states = [
        p["properties"]["peeringState"]
        for vid in expected
        for p in peerings_of(out, vid)
        if isinstance(p.get("properties"), dict)
    ]
    assert all(s == "Connected" or isinstance(s, Unknown) for s in states)
    assert len(decided) == len(states) + len(standalone)
    assert set(decided.values()) <= {peerings.BOTH_DECLARED, peerings.UNKNOWN}
