"""The inventory's relation indexes built a type at a time (the column build).

Each function fills ``defaultdict(list)`` indexes from all rows of one type in one loop, the
row-level helpers inlined and the index bound once, not a handful of calls per row of a
tenant; it gives what the row-level indexers in :mod:`amlguard.scanner.inventory` give (the
row-by-row build keeps those; the two builds are property-tested against each other).
"""

from __future__ import annotations

from typing import Any

from amlguard.scanner import ids, provisioning

Row = dict[str, Any]

_AUTO = "privateLinkServiceConnections"
_MANUAL = "manualPrivateLinkServiceConnections"
_SERVICE = "privateLinkServiceId"


#: a dict's key sequence -> {lower-cased key: the first key of that casing}: rows of one type
#: share a handful of key sequences, so a case-insensitive read of an absent or empty member
#: is a lookup of the keys' tuple (their hashes are cached), not a lower() of every key.
#: Bounded: cleared when full; dicts of more than _CASED_KEYS_MAX keys are walked.
_CASED: dict[tuple[Any, ...], dict[str, Any]] = {}
_CASED_MAX = 4096
_CASED_KEYS_MAX = 24
#: the names asked about (constants of the code), lower-cased
_LOWER: dict[str, str] = {}


def any_case(obj: Any, key: str) -> Any:
    """``obj[key]`` in any casing (None when absent): the fallback of paths.get_key, which the
    inventory cannot import (paths -> unknown -> context names it: an import cycle). The
    first key (in the dict's order) equal to ``key`` lower-cased wins."""
    if not isinstance(obj, dict):
        return None
    low = _LOWER.get(key)
    if low is None:
        low = key.lower()
        if len(_LOWER) < 1024:
            _LOWER[key] = low
    if len(obj) > _CASED_KEYS_MAX:
        for k, v in obj.items():
            if isinstance(k, str) and k.lower() == low:
                return v
        return None
    names = tuple(obj)
    cased = _CASED.get(names)
    if cased is None:
        cased = {}
        for k in names:
            if isinstance(k, str):
                cased.setdefault(k.lower(), k)
        if len(_CASED) >= _CASED_MAX:
            _CASED.clear()
        _CASED[names] = cased
    found = cased.get(low, _NONE)
    return None if found is _NONE else obj[found]


_NONE = object()


def index_private_endpoints(index: dict[str, list[tuple[Row, Row]]], rows: list[Row]) -> None:
    """Private endpoint rows into ``index``: target id (lower-cased) -> [(endpoint, connection)]."""
    norm = ids.norm
    for row in rows:
        props = row.get("properties") or any_case(row, "properties")
        if not isinstance(props, dict):
            continue
        auto = props.get(_AUTO) or any_case(props, _AUTO)
        manual = props.get(_MANUAL) or any_case(props, _MANUAL)
        for conns in (auto, manual):
            if not isinstance(conns, list):
                continue
            for conn in conns:
                if not isinstance(conn, dict):
                    continue
                cprops = conn.get("properties") or any_case(conn, "properties")
                if not isinstance(cprops, dict):
                    continue
                target = cprops.get(_SERVICE) or any_case(cprops, _SERVICE)
                if target:
                    index[norm(target)].append((row, conn))


def index_zone_groups(index: dict[str, list[Row]], rows: list[Row]) -> None:
    """DNS zone group rows into ``index``: endpoint key -> [zone group]."""
    norm = ids.norm
    marker = "/privatednszonegroups/"
    for row in rows:
        rid = row["id"]  # inventory._parent_key() inlined
        low = rid.lower()
        i = low.rfind(marker)
        if i > 0:
            index[low[:i].strip().rstrip("/") if rid.isascii() else norm(rid[:i])].append(row)


def index_vnet_links(
    by_zone: dict[str, list[Row]],
    by_pair: dict[tuple[str, str], list[Row]],
    rows: list[Row],
    not_in_place: dict[tuple[str, str], list[Row]],
) -> None:
    """VNet link rows into ``by_zone`` (zone key -> links) and ``by_pair`` ((zone key, VNet
    key) -> links), or ``not_in_place`` for a link not provisioned and live (provisioning.py:
    a Failed one links nothing, one in progress cannot be read yet)."""
    norm = ids.norm
    marker = "/virtualnetworklinks/"
    for row in rows:
        rid = row["id"]  # inventory._parent_key() inlined
        low = rid.lower()
        i = low.rfind(marker)
        if i <= 0:
            continue
        zone_key = low[:i].strip().rstrip("/") if rid.isascii() else norm(rid[:i])
        by_zone[zone_key].append(row)
        props = row.get("properties") or any_case(row, "properties")
        vnet = None
        if isinstance(props, dict):
            link = props.get("virtualNetwork") or any_case(props, "virtualNetwork")
            if isinstance(link, dict):
                vnet = link.get("id") or any_case(link, "id")
        live = not isinstance(props, dict) or (
            props.get("provisioningState") in (None, "Succeeded")
            and props.get("virtualNetworkLinkState") in (None, "Completed")
        )
        into = by_pair if live or provisioning.in_place(row, link=True) else not_in_place
        into[(zone_key, norm(vnet))].append(row)
