"""The domain functions' fast paths give what the general code gives (session 8, eval8b).

Each fast path is compared with the reading it stands in for: an endpoint spelled as ARM
returns it against the any-spelling reader, on generated shapes; the target side's endpoint
id; ``privateDnsZones`` kept per table; a NIC subnet's VNet kept per call; AMLG-301's common
path (a link with Azure-provided DNS) against the judge; and the unknown-reference searches a
snapshot scan skips while no :class:`~amlguard.scanner.unknown.Unknown` exists.
"""

from __future__ import annotations

import copy
import pickle
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard.scanner import dns, endpointjoin, unknownrefs
from amlguard.scanner.context import EvalContext, Undeterminable
from amlguard.scanner.inventory import Inventory
from amlguard.scanner.paths import MISSING
from amlguard.scanner.primitives import _private_dns_zones
from amlguard.scanner.privatelink import PrivateLinkTable, default_table
from amlguard.scanner.unknown import Unknown, none_made
from tests.builders import blueprint, connectivity, landing_zone
from tests.scanner.harness import scan

SUB = "00000000-0000-0000-0000-000000000001"
PE = f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Network/privateEndpoints/pe"
SUBNET = (
    f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/"
    "vnet/subnets/snet"
)
ZONE = (
    f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Network/privateDnsZones/"
    "privatelink.blob.core.windows.net"
)

# values a hostile or templated row may hold where an id, a status or a list is expected
_LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-1, 1),
    st.sampled_from(["", " ", SUBNET, SUBNET.upper() + "/", "Approved", "pending", "x"]),
    st.just(Unknown("subnet id")),
)
_VALUES = st.recursive(
    _LEAVES,
    lambda inner: st.one_of(
        st.lists(inner, max_size=2),
        st.dictionaries(st.sampled_from(["id", "ID", "status", "Status"]), inner, max_size=2),
    ),
    max_leaves=4,
)


def _maybe(key: str, value: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    """``{key: value}`` under the key as ARM spells it, another casing, or absent."""
    return st.one_of(
        st.just({}),
        st.builds(lambda v: {key: v}, value),
        st.builds(lambda v: {key.upper(): v}, value),
    )


def _merge(*parts: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for part in parts:
        out.update(part)
    return out


_SUBNET = st.one_of(_VALUES, st.builds(lambda d: d, _maybe("id", _VALUES)))
_PE_PROPS = st.builds(_merge, _maybe("subnet", _SUBNET))
_STATE = st.one_of(_VALUES, _maybe("status", _VALUES))
_CONN_PROPS = st.builds(
    _merge,
    _maybe("privateLinkServiceConnectionState", _STATE),
    _maybe("groupIds", st.one_of(_VALUES, st.lists(st.sampled_from(["blob", "file"])))),
)
_PE = st.builds(
    lambda p: {"id": PE, "name": "pe", "type": "microsoft.network/privateendpoints", **p},
    _maybe("properties", st.one_of(_PE_PROPS, _VALUES)),
)
_CONN = _maybe("properties", st.one_of(_CONN_PROPS, _VALUES))


def _same(a: Any, b: Any) -> bool:
    """Equal, and of the same types all the way down (MISSING by identity)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return a is b if a is MISSING else bool(a == b)


def _zone_group_inventory() -> Inventory:
    group = {
        "id": f"{PE}/privateDnsZoneGroups/default",
        "type": "microsoft.network/privateendpoints/privatednszonegroups",
        "name": "default",
        "properties": {
            "privateDnsZoneConfigs": [
                {"properties": {"privateDnsZoneId": ZONE}},
                {"Properties": {"PrivateDnsZoneId": ZONE.upper() + "/"}},
                {"properties": {"privateDnsZoneId": Unknown("zone id")}},
            ]
        },
    }
    return Inventory([group])


@settings(derandomize=True, max_examples=400, deadline=None)
@given(_PE, _CONN)
def test_an_endpoint_item_is_what_the_any_spelling_reader_makes(pe: Any, conn: Any) -> None:
    inv = _zone_group_inventory()
    key = PE.lower()
    fast = endpointjoin._endpoint_item(inv, pe, conn, key, endpointjoin._readings(inv))
    again = endpointjoin._endpoint_item(inv, pe, conn, key, endpointjoin._readings(inv))
    general = endpointjoin._endpoint_item_read(inv, pe, conn, key)
    assert _same(fast, general), (fast, general)
    assert _same(again, general)  # the kept subnet VNets and zone names answer the same


def test_zone_names_are_read_in_any_spelling_and_an_unknown_zone_stays_unknown() -> None:
    inv = _zone_group_inventory()
    pe = {"id": PE, "properties": {"subnet": {"id": SUBNET}}}
    state = {"status": "Approved"}
    conn = {"properties": {"groupIds": ["blob"], "privateLinkServiceConnectionState": state}}
    item = endpointjoin._endpoint_item(inv, pe, conn, PE.lower(), endpointjoin._readings(inv))
    assert item["zones"][:2] == ["privatelink.blob.core.windows.net"] * 2
    assert type(item["zones"][2]) is Unknown
    assert item["vnetId"] == SUBNET.rsplit("/subnets/", 1)[0]


_TARGET = f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st"


@settings(derandomize=True, max_examples=300, deadline=None)
@given(st.one_of(_VALUES, _maybe("id", _VALUES), _maybe("privateEndpoint", _VALUES)))
def test_the_target_side_endpoint_id_is_read_as_in_any_spelling(endpoint: Any) -> None:
    body: dict[str, Any] = {
        "privateEndpoint": endpoint,
        "privateLinkServiceConnectionState": {"status": "Approved"},
    }
    conn = {"name": "c", "properties": body}
    row = {
        "id": _TARGET,
        "type": "microsoft.storage/storageaccounts",
        "properties": {"privateEndpointConnections": [conn]},
    }
    inv = Inventory([row])
    items = endpointjoin._join_private_endpoints(inv, row, _TARGET)
    general = endpointjoin._at(endpointjoin._dict(endpointjoin._at(body, "privateEndpoint")), "id")
    if isinstance(general, str) and general:
        assert [i["id"] for i in items] == [general]
        assert items[0]["found"] is False
    else:
        assert items == []


def _zones_ctx(table: PrivateLinkTable, cloud: str = "AzureCloud") -> EvalContext:
    row = {"id": _TARGET, "type": "microsoft.storage/storageaccounts", "kind": "StorageV2"}
    return EvalContext(
        resource=row,
        inventory=Inventory([row]),
        instance=None,
        params={},
        private_link=table,
        cloud=cloud,
    )


def test_private_dns_zones_are_kept_per_table_and_returned_fresh() -> None:
    table = default_table()
    first = _private_dns_zones(_zones_ctx(table), "blob")
    assert first == ["privatelink.blob.core.windows.net"]
    first.append("changed by a caller")
    assert _private_dns_zones(_zones_ctx(table), "BLOB") == ["privatelink.blob.core.windows.net"]
    other = PrivateLinkTable(
        {
            "targets": [
                {
                    "type": "Microsoft.Storage/storageAccounts",
                    "groups": {"blob": {"AzureCloud": ["privatelink.blob.example"]}},
                }
            ]
        }
    )
    assert _private_dns_zones(_zones_ctx(other), "blob") == ["privatelink.blob.example"]
    with pytest.raises(Undeterminable, match="zone unknown for this cloud"):
        _private_dns_zones(_zones_ctx(other), "file")
    with pytest.raises(Undeterminable, match="in cloud Nowhere"):
        _private_dns_zones(_zones_ctx(table, "Nowhere"), "blob")


def test_unknowns_are_counted_however_they_are_made() -> None:
    before = Unknown.made
    value = Unknown("x", secret=True, where="w")
    copied = [copy.copy(value), copy.deepcopy(value), pickle.loads(pickle.dumps(value))]
    assert Unknown.made == before + 4
    assert not none_made()
    assert all(type(c) is Unknown for c in copied)  # each came through __new__


def test_unknown_reference_searches_are_skipped_only_while_no_unknown_exists(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    link = {
        "id": f"{ZONE}/virtualNetworkLinks/l",
        "type": "microsoft.network/privatednszones/virtualnetworklinks",
        "properties": {"virtualNetwork": {"id": Unknown("hub vnet")}},
    }
    inv = Inventory([link])
    assert len(unknownrefs.link_vnet_unknowns(inv, ZONE)) == 1
    with pytest.raises(Undeterminable, match="hub vnet"):
        unknownrefs.require_links_known(inv, ZONE)
    # while none was ever made, no row can hold one: nothing is searched
    monkeypatch.setattr(Unknown, "made", 0)
    assert none_made()
    assert unknownrefs.link_vnet_unknowns(Inventory([]), ZONE) == []
    assert unknownrefs.unknown_endpoint_targets(Inventory([])) == []


def _drifted_estate() -> list[dict[str, Any]]:
    hub = connectivity()
    spokes = [
        landing_zone(
            blueprint(f"00000000-0000-0000-0000-0000000000{i:02d}", f"rg{i}", f"s{i}"), hub, d
        )
        for i, d in enumerate(["resolver", "ruleset", "firewall"], start=1)
    ]
    plain = blueprint("00000000-0000-0000-0000-000000000009", "rg9", "plain")
    rows = hub.rows() + [r for s in spokes for r in s.rows()] + plain.rows()
    # a spoke whose VNet names Azure DNS explicitly, one with a malformed server list
    spokes[0].vnet["properties"]["dhcpOptions"] = {"dnsServers": ["168.63.129.16"]}
    spokes[1].vnet["properties"]["dhcpOptions"] = {"dnsServers": "10.0.0.4"}
    return rows


@pytest.mark.parametrize(
    "parameters",
    [
        {},
        {"AMLG-301": {"dns_resolution": "link_only"}},
        {
            "AMLG-301": {
                "trusted_dns_servers": [{"ip": "10.9.9.9", "vnet": SUBNET.split("/subnets")[0]}]
            }
        },
    ],
)
def test_dns_resolution_common_path_gives_the_judges_findings(
    parameters: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = _drifted_estate()
    fast = scan(rows, parameters=parameters, rule_ids=["AMLG-301"])
    monkeypatch.setattr(dns, "_linked_on_azure_dns", lambda *_a: (False, None))
    judged = scan(rows, parameters=parameters, rule_ids=["AMLG-301"])
    assert fast == judged
    assert {f.status.value for f in fast} >= {"pass"}
    assert any("Azure-provided DNS" in f.message for f in fast) or parameters
