"""build8's shortcuts give what the readings they stand in for give.

- ``unknown.none_made()``: while no :class:`Unknown` was made in the process, no row holds one, so
  ``unknownrefs`` skips its whole-inventory searches; a snapshot check never makes one.
- ``nicplaces._placed``: a NIC whose members are all of the plain shape needs no strict read.
- ``zonechoice.zone_choice``: the manual commands' zone index read a column at a time, against
  the loop it replaced (copied below), on zones and links with odd ids (casings, blanks,
  trailing slashes, non-ASCII letters whose lower case moves, repeated names).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import OrderedDict
from pathlib import Path
from typing import Any
from unittest.mock import patch

from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard.scanner import ids, nicplaces, unknown, unknownrefs
from amlguard.scanner.engine import Engine, EngineOptions
from amlguard.scanner.instances import build_instances
from amlguard.scanner.inventory import DNS_ZONE, NIC, VNET_LINK, Inventory
from amlguard.scanner.rules import load_pack
from amlguard.scanner.scan import ScanOptions, instance_settings, needs_of, select_rules
from amlguard.scanner.sources.snapshot import SnapshotSource
from amlguard.scanner.unknown import Unknown
from amlguard.scanner.zonechoice import zone_choice

SETTINGS = settings(derandomize=True, max_examples=150, deadline=None)
ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples" / "estates").glob("*.json"))


# ---------------------------------------------------------------- no Unknown made


def test_made_turns_true_with_the_first_unknown() -> None:
    with patch.object(unknown.Unknown, "made", 0):
        assert unknown.none_made()
        Unknown("x.properties.id")
        assert not unknown.none_made()


def _findings(path: Path) -> list[str]:
    pack = load_pack()
    rules = select_rules(pack)
    collected = SnapshotSource([path]).collect(needs_of(rules))
    inv = Inventory(collected.rows)
    instances = build_instances(inv, instance_settings(pack, ScanOptions()))
    return [repr(f) for f in Engine(inv, rules, EngineOptions()).run(instances)]


def test_skipping_the_unknown_searches_changes_no_finding() -> None:
    for path in EXAMPLES:
        with patch.object(unknown.Unknown, "made", 1):
            searched = _findings(path)
        with patch.object(unknown.Unknown, "made", 0):
            skipped = _findings(path)
        assert searched == skipped, path.name


def test_rows_holding_an_unknown_are_still_searched() -> None:
    zone = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/privateDnsZones/z"
    target = Unknown("hub.outputs.vaultId")  # made: the flag is up from here on
    rows: list[dict[str, Any]] = [
        {
            "id": f"{zone}/virtualNetworkLinks/l",
            "type": VNET_LINK,
            "properties": {"virtualNetwork": {"id": Unknown("spoke.outputs.vnetId")}},
        },
        {
            "id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/privateEndpoints/p",
            "type": "microsoft.network/privateendpoints",
            "properties": {
                "privateLinkServiceConnections": [
                    {"properties": {"privateLinkServiceId": target, "groupIds": ["vault"]}}
                ]
            },
        },
    ]
    inv = Inventory(rows)
    assert not unknown.none_made()
    assert len(unknownrefs.link_vnet_unknowns(inv, zone)) == 1
    assert len(unknownrefs.unknown_endpoint_targets(inv)) == 1


def test_a_snapshot_check_makes_no_unknown(tmp_path: Path) -> None:
    """The whole `check` process: were an Unknown made on the way, every snapshot scan would
    pay the searches again (not wrong, but the shortcut would be gone unnoticed)."""
    script = (
        "import sys\n"
        "from amlguard.cli import _run\n"
        "from amlguard.scanner import unknown\n"
        "sys.argv = ['amlguard', 'check', '--snapshot', sys.argv[1], '-o', 'json:' + sys.argv[2]]\n"
        "print('EXIT', _run(), 'MADE', (not unknown.none_made()))\n"
    )
    out = tmp_path / "report.json"
    done = subprocess.run(
        [sys.executable, "-c", script, str(ROOT / "examples/estates/drifted.json"), str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "AMLGUARD_WORKERS": "1", "PATH": "/usr/bin:/bin"},
        timeout=300,
    )
    assert "EXIT 1 MADE False" in done.stdout, done.stdout + done.stderr
    assert json.loads(out.read_text())["findings"]


# ---------------------------------------------------------------- NICs plainly placed

_ID_VALUES = st.one_of(
    st.just(
        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/a"
    ),
    st.just(""),
    st.none(),
    st.integers(),
    st.just(Unknown("vnet.subnets[0].id")),
    st.lists(st.just("x"), max_size=1),
)
_MEMBER = st.sampled_from(["id", "ID", "Id"])


def _maybe(value: st.SearchStrategy[Any], names: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    """An object holding ``value`` under one spelling of a member name, or none."""
    return st.one_of(
        st.just({}),
        st.builds(lambda k, v: {k: v}, st.sampled_from(names), value),
    )


_SUBNET = st.one_of(
    _maybe(_ID_VALUES, ["id", "ID"]), st.none(), st.just("a"), st.just(Unknown("s"))
)
_PUBLIC = st.one_of(st.none(), st.just({"id": "/pip"}), st.just("pip"))
_CPROPS = st.builds(
    lambda subnet, public: {**subnet, **public},
    _maybe(_SUBNET, ["subnet", "Subnet"]),
    _maybe(_PUBLIC, ["publicIPAddress", "PublicIpAddress"]),
)
_CONFIG = st.one_of(
    _maybe(_CPROPS, ["properties", "Properties"]), st.none(), st.just([]), st.just(Unknown("c"))
)
_CONFIGS = st.one_of(st.lists(_CONFIG, max_size=3), st.none(), st.just({}), st.just("x"))
_PROPS = st.one_of(
    _maybe(_CONFIGS, ["ipConfigurations", "IpConfigurations"]),
    st.none(),
    st.just([]),
    st.just(Unknown("nic.properties")),
)


@SETTINGS
@given(_PROPS)
def test_a_placed_nic_is_never_unplaced(props: Any) -> None:
    nic = {
        "id": "/subscriptions/S/resourceGroups/rg/providers/Microsoft.Network/networkInterfaces/n"
    }
    if props is not None or hash(str(props)) % 2:
        nic["properties"] = props
    if nicplaces._placed(nic):
        assert nicplaces._unplaced(nic) is None


def test_placed_covers_the_plain_shapes() -> None:
    vnet = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v"
    subnet = {"id": f"{vnet}/subnets/a"}
    for props in (
        None,
        {"ipConfigurations": None},
        {"ipConfigurations": []},
        {"ipConfigurations": [{"properties": {"subnet": subnet, "publicIPAddress": None}}]},
        {
            "ipConfigurations": [
                {"properties": {"subnet": None}},
                {"properties": {"subnet": {"id": None}}},
            ]
        },
    ):
        assert nicplaces._placed({"id": "n", "properties": props}), props
    for props in (
        {"IpConfigurations": []},  # another spelling: the general reading decides
        {"ipConfigurations": [{"properties": {"subnet": {"id": Unknown("s")}}}]},
        {"ipConfigurations": [None]},
        {"ipConfigurations": [{"properties": {}}]},  # no subnet at this spelling
    ):
        assert not nicplaces._placed({"id": "n", "properties": props}), props


def test_unplaced_lists_what_it_listed_before() -> None:
    rid = "/subscriptions/S1/resourceGroups/rg/providers/Microsoft.Network/networkInterfaces/"
    bad = {"subnet": {"id": Unknown("spoke.subnets[1].id")}, "publicIPAddress": {"id": "/p"}}
    rows = [
        {"id": rid + "a", "type": NIC, "properties": {"ipConfigurations": [{"properties": bad}]}},
        {"id": rid + "b", "type": NIC, "properties": {"ipConfigurations": "one"}},
        {"id": rid + "c", "type": NIC, "properties": {"ipConfigurations": []}},
    ]
    found = nicplaces.unplaced(Inventory(rows))
    assert [(nic, sub) for nic, sub, _why in found] == [(rid + "a", "s1"), (rid + "b", "s1")]


# ---------------------------------------------------------------- the zone index


def old_zone_choice(inventory: Any) -> tuple[dict[str, str], dict[tuple[str, str], str]]:
    """``manual._zone_choice`` before build8 (without its memo)."""
    first: dict[str, str] = {}
    first_key: dict[str, str] = {}
    names: dict[str, str] = {}
    for r in inventory.of_type("microsoft.network/privatednszones"):
        name, rid = str(r.get("name", "")).lower(), str(r.get("id", ""))
        key = ids.norm(rid)
        names[key] = name
        if name not in first or key < first_key[name]:
            first[name], first_key[name] = rid, key
    linked: dict[tuple[str, str], str] = {}
    linked_key: dict[tuple[str, str], str] = {}
    for (zone_key, vnet_key), links in inventory.links_by_zone_and_vnet.items():
        zone_name = names.get(zone_key)
        row = inventory.get(zone_key)
        if zone_name is None or not links or row is None:
            continue
        rid = str(row.get("id", ""))
        key = ids.norm(rid)
        pair = (zone_name, vnet_key)
        if pair not in linked or key < linked_key[pair]:
            linked[pair], linked_key[pair] = rid, key
    return first, linked


_ZONE_NAME = st.sampled_from(
    ["privatelink.vaultcore.azure.net", "PrivateLink.Blob.Core.Windows.Net", "zİ", "K.net", "a b"]
)
_GROUP = st.sampled_from(["rg", "RG", "rg-İ", "hub"])
_TAIL = st.sampled_from(["", "/", " ", "/ ", "\t"])
_VNET = st.sampled_from(
    [
        "/subscriptions/s/resourceGroups/rg/providers/x/virtualNetworks/v1",
        "/subscriptions/s/resourceGroups/RG/providers/x/virtualNetworks/V1",
        "/subscriptions/s/resourceGroups/rg/providers/x/virtualNetworks/v2 ",
        "",
    ]
)


@st.composite
def _zone_rows(draw: st.DrawFn) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for _ in range(draw(st.integers(0, 6))):
        name = draw(_ZONE_NAME)
        zone = (
            f"/subscriptions/s/resourceGroups/{draw(_GROUP)}/providers/Microsoft.Network/"
            f"privateDnsZones/{name}"
        )
        row: dict[str, Any] = {"id": zone + draw(_TAIL), "type": DNS_ZONE}
        if draw(st.booleans()):
            row["name"] = draw(st.one_of(st.just(name), _ZONE_NAME, st.integers(0, 2)))
        rows.append(row)
        for i in range(draw(st.integers(0, 3))):
            link = f"{zone}{draw(_TAIL)}/virtualNetworkLinks/l{i}"
            props = {"virtualNetwork": {"id": draw(_VNET)}}
            rows.append({"id": link, "type": VNET_LINK, "properties": props})
    return draw(st.permutations(rows))


@SETTINGS
@given(_zone_rows())
def test_zone_choice_is_the_old_index(rows: list[dict[str, Any]]) -> None:
    odd = OrderedDict(id="/subscriptions/s/x", type="t")  # not a dict: the row-by-row build
    for inv in (Inventory(rows), Inventory([*rows, odd])):
        assert zone_choice(inv) == old_zone_choice(inv)


def test_zone_choice_on_the_example_estates() -> None:
    for path in EXAMPLES:
        rows = SnapshotSource([path]).collect(needs_of(select_rules(load_pack()))).rows
        inv = Inventory(rows)
        first, linked = zone_choice(inv)
        assert (first, linked) == old_zone_choice(inv), path.name
        assert first, path.name  # every example holds zones
        assert zone_choice(inv)[0] is first  # built once
