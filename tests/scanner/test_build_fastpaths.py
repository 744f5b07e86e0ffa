"""The build's fast paths give what the general readings give (perf-build7).

``ids.norm`` remembers the keys of the ids it was asked about, ``ids.parent_of_child`` reads the
marker off that key, and ``Inventory`` indexes rows in Resource Graph's shape a column at a
time. Each is checked here against the general reading it stands in for (copied from before
the change, or the row-by-row build the inventory still has) on made-up input: ids in odd
casings, with blanks and trailing slashes, non-ASCII letters whose lower case is longer or
ASCII (``İ``, the Kelvin sign), non-strings, repeated ids, rows that need normalising.
"""

from __future__ import annotations

from typing import Any
from unittest.mock import patch

from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard.scanner import ids
from amlguard.scanner import inventory as inventory_module
from amlguard.scanner.inventory import Inventory
from amlguard.scanner.unknown import Unknown
from tests.builders import TENANT, blueprint, subscription, unrelated

SETTINGS = settings(derandomize=True, max_examples=200, deadline=None)
FEWER = settings(derandomize=True, max_examples=60, deadline=None)


def old_norm(resource_id: Any) -> str:
    """``ids.norm`` before it remembered keys."""
    if not isinstance(resource_id, str) or not resource_id:
        return ""
    return resource_id.strip().rstrip("/").lower()


def old_parent_of_child(resource_id: Any, child_marker: str) -> str:
    """``ids.parent_of_child`` before it read the remembered key."""
    if not isinstance(resource_id, str):
        return ""
    low = resource_id.lower()
    i = low.rfind("/" + child_marker.lower() + "/")
    return resource_id[:i] if i >= 0 else ""


# Letters whose lower case changes length or leaves ASCII: the traps of reading a lower-cased
# string at the positions of the original.
_ODD_LETTERS = ["İ", "K", "ß", "Σ", "é", "ﬁ"]
_BLANKS = ["", " ", "\t", "\n", "\u00a0", "\u2003"]


def _cased(text: str) -> st.SearchStrategy[str]:
    return st.lists(st.booleans(), min_size=len(text), max_size=len(text)).map(
        lambda ups: "".join(c.upper() if up else c.lower() for c, up in zip(text, ups, strict=True))
    )


_SEGMENT = st.one_of(
    st.sampled_from(
        [
            "subscriptions",
            "s1",
            "resourceGroups",
            "rg",
            "providers",
            "Microsoft.Network",
            "privateEndpoints",
            "pe",
            "privateDnsZoneGroups",
            "default",
            "privateDnsZones",
            "virtualNetworkLinks",
            "virtualNetworks",
            "subnets",
            "connections",
            "",
        ]
    ).flatmap(_cased),
    st.lists(st.sampled_from(_ODD_LETTERS), min_size=1, max_size=3).map("".join),
    st.text(max_size=4),
)
ID_TEXT = st.builds(
    lambda blank_a, segments, slashes, blank_b: (
        blank_a + "/" + "/".join(segments) + "/" * slashes + blank_b
    ),
    st.sampled_from(_BLANKS),
    st.lists(_SEGMENT, max_size=9),
    st.integers(0, 2),
    st.sampled_from(_BLANKS),
)
ANY_ID = st.one_of(
    ID_TEXT,
    st.text(max_size=12),
    st.none(),
    st.integers(),
    st.floats(allow_nan=False),
    st.booleans(),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
    ID_TEXT.map(lambda text: Unknown(text)),
)
MARKERS = st.sampled_from(
    [
        "subnets",
        "privateDnsZoneGroups",
        "virtualNetworkLinks",
        "connections",
        "providers/microsoft.authorization/roleassignments",
        "Subnets",
    ]
)


@SETTINGS
@given(ANY_ID)
def test_norm_is_the_general_reading_first_time_and_remembered(value: Any) -> None:
    ids._KEYS.clear()
    assert ids.norm(value) == old_norm(value)
    assert ids.norm(value) == old_norm(value)  # now from memory, for a plain str
    assert ids.norm_text(value) == old_norm(value)


@FEWER
@given(st.lists(ID_TEXT, min_size=1, max_size=12))
def test_norm_stays_right_when_its_memory_fills_up(texts: list[str]) -> None:
    ids._KEYS.clear()
    with patch.object(ids, "_KEYS_MAX", 3):
        for text in texts * 2:
            assert ids.norm(text) == old_norm(text)
            assert len(ids._KEYS) <= 3
    ids._KEYS.clear()


def test_norm_keeps_no_long_text() -> None:
    ids._KEYS.clear()
    long_id = "/subscriptions/S/" + "X" * 600
    assert ids.norm(long_id) == long_id.lower()
    assert long_id not in ids._KEYS
    assert ids.norm("/Subscriptions/S") == "/subscriptions/s"
    assert ids._KEYS == {"/Subscriptions/S": "/subscriptions/s"}


@SETTINGS
@given(ANY_ID, MARKERS)
def test_parent_of_child_is_the_general_reading(value: Any, marker: str) -> None:
    for _ in range(2):  # the id's key not remembered yet, then remembered
        assert ids.parent_of_child(value, marker) == old_parent_of_child(value, marker)
        assert ids.vnet_of_subnet(value) == old_parent_of_child(value, "subnets")


@SETTINGS
@given(ID_TEXT, MARKERS)
def test_parent_of_child_on_id_texts(text: str, marker: str) -> None:
    ids._KEYS.clear()
    for _ in range(2):
        assert ids.parent_of_child(text, marker) == old_parent_of_child(text, marker)


def test_parent_of_child_where_blanks_and_lower_case_cancel_out() -> None:
    # one blank stripped, one letter lower-cased into two: the key is as long as the id but
    # is not the id lower-cased character for character
    text = " /s/İ/subnets/a"
    assert len(ids.norm(text)) == len(text)
    assert ids.parent_of_child(text, "subnets") == old_parent_of_child(text, "subnets")
    assert ids.parent_of_child(text, "subnets") == " /s/İ/"  # the general reading's cut


@SETTINGS
@given(ID_TEXT, st.sampled_from(["privateDnsZoneGroups", "virtualNetworkLinks"]))
def test_parent_key_is_norm_of_the_parent(text: str, marker: str) -> None:
    parent = old_parent_of_child(text, marker)
    want = old_norm(parent) if parent else None
    assert inventory_module._parent_key(text, f"/{marker.lower()}/") == want


def test_parent_key_where_lower_case_moves_the_marker() -> None:
    # "İ" lower-cases to two characters: the general reading cuts the id where the marker
    # sits in the lower-cased text, and the key is that cut, normalised
    text = "/s/İİx/privateDnsZoneGroups/default"
    assert old_parent_of_child(text, "privateDnsZoneGroups") == "/s/İİx/p"
    assert inventory_module._parent_key(text, "/privatednszonegroups/") == "/s/i̇i̇x/p"
    assert ids.parent_of_child(text, "privateDnsZoneGroups") == "/s/İİx/p"


# -- the inventory: a column at a time vs row by row ----------------------------------------

_TYPES = [
    "microsoft.network/privateendpoints",
    "microsoft.network/privateendpoints/privatednszonegroups",
    "microsoft.network/privatednszones/virtualnetworklinks",
    "microsoft.network/networkinterfaces",
    "microsoft.authorization/roleassignments",
    "microsoft.resources/subscriptions",
    "microsoft.machinelearningservices/workspaces",
    "microsoft.storage/storageaccounts",
]
TYPE_TEXT = st.one_of(
    st.sampled_from(_TYPES),  # mostly Resource Graph's lower case
    st.sampled_from(_TYPES).flatmap(_cased),
    st.sampled_from(_TYPES).map(lambda t: f" {t}\t"),
    st.sampled_from(["", "x", "İ/a"]),
)


def _props(kind: str, target: str) -> dict[str, Any]:
    """A few properties of the shapes the indexers read, pointing at ``target``."""
    if kind == "microsoft.network/privateendpoints":
        conn = {"properties": {"privateLinkServiceId": target}}
        return {"privateLinkServiceConnections": [conn], "manualPrivateLinkServiceConnections": []}
    if kind == "microsoft.network/privatednszones/virtualnetworklinks":
        return {"virtualNetwork": {"id": target}}
    if kind == "microsoft.network/networkinterfaces":
        return {"ipConfigurations": [{"properties": {"subnet": {"id": target + "/subnets/a"}}}]}
    if kind == "microsoft.authorization/roleassignments":
        return {"principalId": target[-3:] or "p"}
    if kind == "microsoft.resources/subscriptions":
        return {"managementGroupAncestorsChain": [{"name": target[-3:]}]}
    return {}


@st.composite
def ROWS(draw: st.DrawFn) -> dict[str, Any]:
    rtype = draw(st.one_of(TYPE_TEXT, st.just(None), st.integers()))
    out: dict[str, Any] = {}
    if draw(st.integers(0, 19)):  # now and then no id at all
        out["id"] = draw(st.one_of(ID_TEXT, ID_TEXT, st.none(), st.integers(), st.just("")))
    if draw(st.integers(0, 19)):
        out["type"] = rtype
    for field in ("name", "subscriptionId", "resourceGroup"):
        if draw(st.integers(0, 29)):  # now and then absent or blank: the row is normalised
            out[field] = draw(st.sampled_from(["n", "S1", "rg", ""]))
    kind = str(rtype).strip().lower()
    if draw(st.booleans()):
        out["properties"] = _props(kind, draw(ID_TEXT))
    return out


def _general(rows: list[Any]) -> Inventory:
    with patch.object(Inventory, "_build_columns", lambda self, rows: False):
        return Inventory(rows)


def _picture(inv: Inventory, rows: list[Any]) -> dict[str, Any]:
    """Everything the build produced, in order, and which rows are the callers' own."""
    own = {id(r) for r in rows}
    return {
        "by_id": list(inv.by_id.items()),
        "kept": [id(row) in own and row for row in inv.by_id.values()],
        "by_type": list(inv.by_type.items()),
        "relations": [list(index.items()) for index in inv._relations()],
    }


@settings(derandomize=True, max_examples=150, deadline=None)
@given(st.lists(ROWS(), max_size=14), st.integers(0, 3))
def test_columns_build_what_rows_build(rows: list[Any], repeats: int) -> None:
    rows = rows + [dict(r) for r in rows[:repeats]]  # a repeated id (the later row wins)
    before = [dict(r) for r in rows]
    assert _picture(Inventory(rows), rows) == _picture(_general(rows), rows)
    assert rows == before  # the caller's rows are never changed


def _resource_graph_rows() -> list[Any]:
    inst = blueprint()
    rows = inst.rows() + unrelated("s", "rg", 3) + [subscription("s", ("mg-a", "Root"))]
    rows.append({**rows[3], "type": rows[3]["type"].upper()})  # normalised, same id
    return rows


@FEWER
@given(st.randoms(use_true_random=False), st.integers(0, 3))
def test_columns_build_what_rows_build_on_estates(rnd: Any, shuffles: int) -> None:
    rows = _resource_graph_rows()
    for _ in range(shuffles):
        rnd.shuffle(rows)
    assert _picture(Inventory(rows), rows) == _picture(_general(rows), rows)


def test_resource_graph_rows_take_the_column_path() -> None:
    taken: list[bool] = []
    original = Inventory._build_columns

    def spy(self: Inventory, rows: list[Any]) -> bool:
        taken.append(original(self, rows))
        return taken[-1]

    with patch.object(Inventory, "_build_columns", spy):
        inv = Inventory(iter(_resource_graph_rows()))  # any iterable, read once
        Inventory([{"id": "/x", "name": "x"}])  # no type: row by row
    assert taken == [True, False]
    assert inv.management_groups == {"s": frozenset({"mg-a", "root", TENANT})}
    assert len(inv.zone_groups_by_endpoint) == 6 and len(inv.endpoints_by_target) == 5


ARM_ID_LIKE = st.one_of(
    ID_TEXT,
    st.lists(
        st.sampled_from(["providers", "Microsoft.X", "PROVIDERS", "a.b", "x", "", " ", "\x1c"]),
        max_size=8,
    ).map(lambda parts: "/" + "/".join(parts)),
    st.text(alphabet="/.pProvidersx \t\x1cİ", max_size=24),
)


@SETTINGS
@given(st.one_of(ARM_ID_LIKE, ANY_ID))
def test_is_arm_id_is_the_general_reading(value: Any) -> None:
    from amlguard.scanner.valuetypes import is_resource_id

    for _ in range(2):  # the key not remembered yet, then remembered
        assert ids.is_arm_id(value) == is_resource_id(value)
