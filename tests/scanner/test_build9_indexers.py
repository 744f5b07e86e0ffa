"""The column build's indexers give what the row-level ones give, on odd property shapes.

``Inventory._build_columns`` indexes private endpoints, zone groups and VNet links with
indexers that read all rows of their type in one loop (build9); the row-by-row build keeps
the row-level ones. Here both builds see the same rows in Resource Graph's shape (so the
column build takes them) whose properties are spelled in odd casings, twice in two casings,
empty, null, of the wrong JSON type, with connections that are not objects: the two must
index the same rows under the same keys in the same order.
"""

from __future__ import annotations

from typing import Any
from unittest.mock import patch

from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard.scanner.inventory import (
    DNS_ZONE_GROUP,
    PRIVATE_ENDPOINT,
    VNET_LINK,
    Inventory,
)
from tests.scanner.test_build_fastpaths import ID_TEXT, _general, _picture

SETTINGS = settings(derandomize=True, max_examples=80, deadline=None)


def _spellings(name: str) -> st.SearchStrategy[list[str]]:
    """One to three spellings of a property name (the exact one, other casings)."""
    casings = st.sampled_from([name, name.lower(), name.upper(), name[:1].upper() + name[1:]])
    return st.lists(casings, min_size=1, max_size=3)


_ODD = st.sampled_from([None, "", 0, [], {}, "x", 7, [1], True])


def _member(name: str, value: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    """``{name: value}`` in one or more casings, each with its own value (odd now and then)."""
    return _spellings(name).flatmap(
        lambda names: st.fixed_dictionaries({n: st.one_of(value, _ODD) for n in names})
    )


def _merged(parts: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for part in parts:
        out.update(part)
    return out


def _object(*members: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[Any]:
    return st.tuples(*members).map(lambda parts: _merged(list(parts)))


_TARGET = st.one_of(ID_TEXT, st.sampled_from(["/subscriptions/s/x", "/SUBSCRIPTIONS/S/X/"]))
_CONNECTION = st.one_of(
    _object(_member("properties", _object(_member("privateLinkServiceId", _TARGET)))),
    _ODD,
)
_CONNECTIONS = st.lists(_CONNECTION, max_size=3)
_ENDPOINT_PROPS = _object(
    _member("privateLinkServiceConnections", _CONNECTIONS),
    _member("manualPrivateLinkServiceConnections", _CONNECTIONS),
)
_LINK_PROPS = _object(_member("virtualNetwork", _object(_member("id", _TARGET))))


@st.composite
def _row(draw: st.DrawFn) -> dict[str, Any]:
    """A row in Resource Graph's shape (the column build takes it) of an indexed type."""
    rtype = draw(st.sampled_from([PRIVATE_ENDPOINT, DNS_ZONE_GROUP, VNET_LINK]))
    marker = {
        PRIVATE_ENDPOINT: "privateEndpoints",
        DNS_ZONE_GROUP: "privateDnsZoneGroups",
        VNET_LINK: "virtualNetworkLinks",
    }[rtype]
    parent = draw(ID_TEXT)
    rid = draw(
        st.one_of(
            st.builds(
                lambda m, n: f"{parent}/{m}/{n}",
                st.sampled_from([marker, marker.lower(), marker.upper()]),
                ID_TEXT,
            ),
            st.just(f"{parent}/{marker}/x"),
            st.just(f"/subscriptions/s/resourceGroups/rg/providers/a/{marker.upper()}/n"),
            ID_TEXT,
        )
    )
    props = draw(_ENDPOINT_PROPS if rtype == PRIVATE_ENDPOINT else _LINK_PROPS)
    row: dict[str, Any] = {
        "id": rid or "/x",
        "name": "n",
        "type": rtype,
        "subscriptionId": "s",
        "resourceGroup": "rg",
    }
    casings = draw(_spellings("properties"))
    for i, key in enumerate(casings):
        row[key] = props if i == 0 else draw(st.one_of(_ODD, _ENDPOINT_PROPS, _LINK_PROPS))
    return row


def _columns_taken(rows: list[Any]) -> bool:
    taken: list[bool] = []
    original = Inventory._build_columns

    def spy(self: Inventory, given_rows: list[Any]) -> bool:
        taken.append(original(self, given_rows))
        return taken[-1]

    with patch.object(Inventory, "_build_columns", spy):
        Inventory(rows)
    return taken == [True]


@SETTINGS
@given(st.lists(_row(), min_size=1, max_size=10))
def test_column_indexers_index_what_row_indexers_index(rows: list[Any]) -> None:
    ids_seen = {str(r["id"]).strip().rstrip("/").lower() for r in rows}
    if "" not in ids_seen:
        assert _columns_taken(rows)
    assert _picture(Inventory(rows), rows) == _picture(_general(rows), rows)


def test_column_indexers_on_named_shapes() -> None:
    """A few shapes spelled out: another casing of a property ahead of the exact one, which
    is empty; connections that are not objects; properties and an id in other casings."""
    pe_id = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/privateEndpoints/pe"
    target = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st"
    conn = {"properties": {"privateLinkServiceId": target}}
    base = {"name": "n", "subscriptionId": "s", "resourceGroup": "rg"}
    rows = [
        {
            **base,
            "id": pe_id,
            "type": PRIVATE_ENDPOINT,
            "properties": {
                "ManualPrivateLinkServiceConnections": [conn],  # read: the first casing
                "manualPrivateLinkServiceConnections": [],
                "privateLinkServiceConnections": ["x", None, {"Properties": conn["properties"]}],
            },
        },
        {**base, "id": pe_id + "/privateDnsZoneGroups/default", "type": DNS_ZONE_GROUP},
        {
            **base,
            "id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/privateDnsZones/"
            "z/virtualNetworkLinks/l",
            "type": VNET_LINK,
            "Properties": {"virtualNetwork": {"ID": "/subscriptions/s/V"}},
        },
    ]
    inv = Inventory(rows)
    assert _picture(inv, rows) == _picture(_general(rows), rows)
    key = target.lower()
    assert [conn for _pe, conn in inv.endpoints_by_target[key]] == [
        {"Properties": conn["properties"]},
        conn,
    ]
    assert list(inv.zone_groups_by_endpoint) == [pe_id.lower()]
    zone = "/subscriptions/s/resourcegroups/rg/providers/microsoft.network/privatednszones/z"
    assert list(inv.links_by_zone_and_vnet) == [(zone, "/subscriptions/s/v")]
