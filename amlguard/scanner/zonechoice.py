"""Private DNS zone ids by name, for the manual commands' ``{zones[group]}`` fill.

A fleet's manual commands look zones up thousands of times, and a hub holds one zone of each
name per spoke, so the zones are indexed once per inventory: by lower-cased name (the zone
whose id sorts first), and by (name, linked VNet). Read a column at a time: the zones' ids and
names with C-level ``map``, the ids' comparison keys without a call per zone (this index was
~60 ms of the first instance judged at N = 1,000, before the evaluation forks).
"""

from __future__ import annotations

from itertools import repeat
from operator import itemgetter

from amlguard.scanner import ids
from amlguard.scanner.inventory import DNS_ZONE, Inventory

__all__ = ["zone_choice"]

_ID = itemgetter("id")


def zone_choice(inventory: Inventory) -> tuple[dict[str, str], dict[tuple[str, str], str]]:
    """(zone id by lower-cased name, zone id by (name, ``ids.norm`` of a linked VNet)): of the
    zones of a name, the one whose ``ids.norm`` id sorts first; built once per inventory."""
    memo = inventory.memo.setdefault("manual", {})
    found: tuple[dict[str, str], dict[tuple[str, str], str]] | None = memo.get("zone_choice")
    if found is None:
        found = memo["zone_choice"] = _build(inventory)
    return found


def _build(inventory: Inventory) -> tuple[dict[str, str], dict[tuple[str, str], str]]:
    zones = inventory.of_type(DNS_ZONE)
    # Every indexed row has a str id with a non-blank key (the inventory skips the others);
    # str() keeps an id that is a str subclass the text ids.norm reads.
    rids = list(map(str, map(_ID, zones)))
    keys = list(map(str.lower, map(str.rstrip, map(str.strip, rids), repeat("/"))))
    names = list(map(str.lower, map(str, map(dict.get, zones, repeat("name"), repeat("")))))
    first: dict[str, str] = {}
    first_key: dict[str, str] = {}
    for name, key, rid in zip(names, keys, rids, strict=True):
        if name not in first_key or key < first_key[name]:
            first[name], first_key[name] = rid, key
    name_of = dict(zip(keys, names, strict=True))
    row_id = dict(zip(keys, rids, strict=True))
    linked: dict[tuple[str, str], str] = {}
    linked_key: dict[tuple[str, str], str] = {}
    for (zone_key, vnet_key), links in inventory.links_by_zone_and_vnet.items():
        zone_name = name_of.get(zone_key)
        if zone_name is None or not links:
            continue
        if zone_key.isascii() and zone_key == zone_key.strip().rstrip("/"):
            # ids.norm(zone_key) is zone_key: the inventory's row under it is that zone's
            rid, key = row_id[zone_key], zone_key
        else:
            row = inventory.get(zone_key)
            if row is None:
                continue
            rid = str(row.get("id", ""))
            key = ids.norm(rid)
        pair = (zone_name, vnet_key)
        if pair not in linked_key or key < linked_key[pair]:
            linked[pair], linked_key[pair] = rid, key
    return first, linked
