"""Virtual WAN route tables: whether VNet A's connection has a route to VNet B's (redteam9 #11).

A hub VNet connection (``properties.routingConfiguration``, network spec ``virtualWan.json``
``RoutingConfiguration``) is **associated** with one route table (``associatedRouteTable.id``),
whose routes its traffic follows, and **propagates** its prefixes to route tables by id
(``propagatedRouteTables.ids[*].id``) and by label (``propagatedRouteTables.labels``: every
route table of the WAN's hubs carrying the label, ``hubRouteTables`` ``properties.labels``).
So A reaches B only when B's connection propagates to the table A's connection is associated
with: by its id, or by a label of that table. Absent ``routingConfiguration`` (or either half of
it) is the API's default: associated with and propagating to the hub's ``defaultRouteTable``,
label ``default``. What cannot be read is ``Undeterminable``: a malformed configuration, a
custom table whose labels decide and whose row the scan does not hold, and a connection that
propagates to no table but ``noneRouteTable`` (what routing intent configures: private traffic
then goes through the hub's firewall, which the scan does not model).

The hub's own address space (where a secured hub's firewall sits) is reached from every
connection of the hub: route tables decide VNet-to-VNet prefixes only.
"""

from __future__ import annotations

from typing import Any

from amlguard.excerpt import quoted
from amlguard.scanner import ids
from amlguard.scanner.context import Undeterminable
from amlguard.scanner.inventory import Inventory
from amlguard.scanner.paths import MISSING, get_key
from amlguard.scanner.unknown import Unknown, UnknownValue

ROUTE_TABLE = "microsoft.network/virtualhubs/hubroutetables"
#: the segment under a hub that lists its route tables
ROUTE_TABLES_SEGMENT = "hubRouteTables"
DEFAULT_TABLE = "defaultroutetable"
NONE_TABLE = "noneroutetable"
DEFAULT_LABEL = "default"


def _hub(conn: Any) -> str:
    rid = get_key(conn, "id") if isinstance(conn, dict) else None
    return ids.parent_of_child(str(rid or ""), "hubVirtualNetworkConnections")


def _name(conn: Any) -> str:
    return ids.short_name(str(get_key(conn, "id") or "")) if isinstance(conn, dict) else "?"


def _malformed(conn: Any, path: str, value: Any) -> Undeterminable:
    if type(value) is Unknown:
        return UnknownValue(value)
    return Undeterminable(
        f"Virtual WAN hub connection {_name(conn)}: routingConfiguration{path} is "
        f"{quoted(str(value))}, not what the API returns: which route tables it uses cannot be read"
    )


def _table_id(conn: Any, value: Any, path: str) -> str:
    if type(value) is Unknown:
        raise UnknownValue(value)
    rid = get_key(value, "id") if isinstance(value, dict) else MISSING
    if type(rid) is Unknown:
        raise UnknownValue(rid)
    if not isinstance(rid, str) or not rid.strip():
        raise _malformed(conn, path, value)
    return rid.strip()


def routing(conn: Any) -> tuple[str, list[str], list[str]]:
    """(the route table a connection is associated with, the table ids it propagates to, the
    labels it propagates to, lower-cased), defaults filled in; ``Undeterminable`` when
    malformed."""
    default = f"{_hub(conn)}/hubRouteTables/defaultRouteTable"
    props = get_key(conn, "properties") if isinstance(conn, dict) else None
    cfg = get_key(props, "routingConfiguration") if isinstance(props, dict) else MISSING
    if cfg is MISSING or cfg is None:
        return default, [default], [DEFAULT_LABEL]
    if not isinstance(cfg, dict):
        raise _malformed(conn, "", cfg)
    written = get_key(cfg, "associatedRouteTable")
    associated = (
        default
        if written is MISSING or written is None
        else _table_id(conn, written, ".associatedRouteTable")
    )
    propagated = get_key(cfg, "propagatedRouteTables")
    if propagated is MISSING or propagated is None:
        return associated, [default], [DEFAULT_LABEL]
    if not isinstance(propagated, dict):
        raise _malformed(conn, ".propagatedRouteTables", propagated)
    table_ids = get_key(propagated, "ids")
    labels = get_key(propagated, "labels")
    table_ids = [] if table_ids is MISSING or table_ids is None else table_ids
    labels = [] if labels is MISSING or labels is None else labels
    if not isinstance(table_ids, list):
        raise _malformed(conn, ".propagatedRouteTables.ids", table_ids)
    if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
        raise _malformed(conn, ".propagatedRouteTables.labels", labels)
    found = [_table_id(conn, t, ".propagatedRouteTables.ids") for t in table_ids]
    return associated, found, [x.strip().lower() for x in labels if x.strip()]


def table_labels(inv: Inventory, table: str) -> set[str] | None:
    """The labels of route table ``table`` (lower-cased): the built-in ``default`` of a
    ``defaultRouteTable``, plus its row's ``labels``; None when they cannot be read (a custom
    table whose row the scan does not hold)."""
    name = ids.short_name(table).lower()
    base = {DEFAULT_LABEL} if name == DEFAULT_TABLE else set()
    row = inv.get(table)
    if row is None:
        return base if name == DEFAULT_TABLE else (set() if name == NONE_TABLE else None)
    labels = get_key(get_key(row, "properties"), "labels")
    if labels is MISSING or labels is None:
        return base
    if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
        if type(labels) is Unknown:
            raise UnknownValue(labels)
        raise Undeterminable(
            f"Virtual WAN route table {ids.short_name(table)}: labels is {quoted(str(labels))}, "
            "not a list of names: which connections propagate to it cannot be read"
        )
    return base | {x.strip().lower() for x in labels if x.strip()}


def routed(inv: Inventory, source: Any, target: Any) -> bool:
    """Whether hub connection ``target`` propagates to the route table hub connection
    ``source`` is associated with (``source``'s VNet has a route to ``target``'s)."""
    associated, _, _ = routing(source)
    _, table_ids, labels = routing(target)
    if any(ids.norm(t) == ids.norm(associated) for t in table_ids):
        return True
    real = [t for t in table_ids if ids.short_name(t).lower() != NONE_TABLE]
    if not real and not [x for x in labels if x != "none"]:
        raise Undeterminable(
            f"Virtual WAN hub connection {_name(target)} propagates to no route table "
            "(noneRouteTable): routing intent may send private traffic through the hub's "
            f"firewall, which the scan does not model: whether {_name(source)}'s VNet reaches "
            "its VNet cannot be read"
        )
    if not labels:
        return False
    mine = table_labels(inv, associated)
    if mine is None:
        raise Undeterminable(
            f"Virtual WAN route table {ids.short_name(associated)} (associated with hub "
            f"connection {_name(source)}) is not in the scanned inventory: its labels, which "
            f"decide whether connection {_name(target)} (propagating to labels "
            f"{', '.join(sorted(labels))}) reaches it, cannot be read"
        )
    return bool(mine & set(labels))


def unrouted_words(source: Any, target: Any) -> str:
    """Why ``source``'s connection has no route to ``target``'s, in words ('' when unreadable)."""
    try:
        associated, _, _ = routing(source)
        _, table_ids, labels = routing(target)
    except Undeterminable:
        return ""
    shown = ", ".join(ids.short_name(t) for t in table_ids) or "none"
    return (
        f"Virtual WAN hub connection {_name(source)} is associated with route table "
        f"{ids.short_name(associated)}, which connection {_name(target)} does not propagate to "
        f"(route tables: {shown}; labels: {', '.join(labels) or 'none'})"
    )


__all__ = [
    "ROUTE_TABLE",
    "ROUTE_TABLES_SEGMENT",
    "routed",
    "routing",
    "table_labels",
    "unrouted_words",
]
