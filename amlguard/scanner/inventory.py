"""The inventory: rows in Resource Graph's shape, indexed once so every relation is a lookup."""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable, Iterator
from itertools import compress, count, repeat
from operator import itemgetter, not_, or_
from typing import Any

from amlguard.scanner import ids, provisioning
from amlguard.scanner.inventorybulk import any_case as _any_case
from amlguard.scanner.inventorybulk import (
    index_private_endpoints,
    index_vnet_links,
    index_zone_groups,
)

Row = dict[str, Any]

WORKSPACE = "microsoft.machinelearningservices/workspaces"
PRIVATE_ENDPOINT = "microsoft.network/privateendpoints"
DNS_ZONE_GROUP = "microsoft.network/privateendpoints/privatednszonegroups"
DNS_ZONE = "microsoft.network/privatednszones"
VNET_LINK = "microsoft.network/privatednszones/virtualnetworklinks"
NIC = "microsoft.network/networkinterfaces"
ROLE_ASSIGNMENT = "microsoft.authorization/roleassignments"
VNET = "microsoft.network/virtualnetworks"
SUBSCRIPTION = "microsoft.resources/subscriptions"


def normalize_row(raw: Row) -> Row:
    """Fill what rules rely on: lower-case ``type``; ``subscriptionId``/``resourceGroup`` from the id.

    A plain ARM GET body becomes a row; a row already in Resource Graph's shape is kept as is.
    """
    row = dict(raw)
    rid = str(row.get("id") or "")
    rtype = row.get("type")
    if rtype:
        row["type"] = str(rtype).strip().lower()
    else:
        row["type"] = ids.parse(rid).type if rid else ""
    if rid and (not row.get("subscriptionId") or not row.get("resourceGroup")):
        parts = ids.parse(rid)
        row.setdefault("subscriptionId", parts.subscription_id)
        if not row.get("subscriptionId"):
            row["subscriptionId"] = parts.subscription_id
        if not row.get("resourceGroup"):
            row["resourceGroup"] = parts.resource_group.lower()
    if "name" not in row and rid:
        row["name"] = rid.rstrip("/").rsplit("/", 1)[-1]
    if row["type"] == ROLE_ASSIGNMENT:
        props = _any_case(row, "properties") or {}
        if isinstance(props, dict) and not _any_case(props, "scope") and rid:
            # A role assignment's scope is everything before its /providers/Microsoft.Authorization.
            scope = ids.parent_of_child(rid, "providers/microsoft.authorization/roleassignments")
            row["properties"] = {**props, "scope": scope or "/"}
    return row


def _already_normal(raw: Any) -> bool:
    """True when ``normalize_row(raw)`` would only copy ``raw``."""
    if type(raw) is not dict:
        return False
    rtype = raw.get("type")
    return bool(
        type(rtype) is str
        and rtype
        and "name" in raw
        and raw.get("subscriptionId")
        and raw.get("resourceGroup")
        and rtype == rtype.lower()
        and rtype == rtype.strip()
        and (rtype != ROLE_ASSIGNMENT or _scoped_assignment(raw))
    )


def _scoped_assignment(row: Row) -> bool:
    """True when ``normalize_row(row)`` would only copy this role assignment row (its type
    spelled as :data:`ROLE_ASSIGNMENT`, its name, subscription and group there): it has a
    scope, or no properties object to write one into."""
    props = _any_case(row, "properties") or {}
    return not isinstance(props, dict) or bool(_any_case(props, "scope"))


def _positions(items: list[Any], value: Any) -> list[int]:
    """The indexes of ``value`` in ``items`` (C-level ``list.index`` scans: ``items`` holds
    few distinct objects, so each comparison is an identity test or a length mismatch)."""
    out: list[int] = []
    i = -1
    try:
        while True:
            i = items.index(value, i + 1)
            out.append(i)
    except ValueError:
        return out


def _normal_type(rtype: Any) -> bool:
    """True when a row of this type in Resource Graph's shape needs no normalising (what
    :func:`_already_normal` asks of the type)."""
    return bool(
        type(rtype) is str
        and rtype
        and rtype != ROLE_ASSIGNMENT
        and rtype == rtype.lower()
        and rtype == rtype.strip()
    )


_TYPE = itemgetter("type")
_ID = itemgetter("id")
_SUBSCRIPTION_OF = itemgetter("subscriptionId")
_GROUP_OF = itemgetter("resourceGroup")
_SLASH = repeat("/")
_NAME = repeat("name")
_SUBSCRIPTION = repeat("subscriptionId")
_GROUP = repeat("resourceGroup")


class _Distinct(dict[Any, Any]):
    """value -> the first equal value seen: ``d[v]`` is one shared object per distinct ``v``."""

    def __missing__(self, key: Any) -> Any:
        self[key] = key
        return key


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


class Inventory:
    """All rows of a scan with the indexes rules use; built once, read many times."""

    def __init__(self, rows: Iterable[Row]) -> None:
        self.by_id: dict[str, Row] = {}
        # Derived answers primitives compute once per scan (they depend on the rows alone).
        self.memo: dict[str, dict[Any, Any]] = {}
        self.by_type: dict[str, list[Row]] = defaultdict(list)
        # Scope (resource group or subscription, lower-cased) -> rows, per type: built on first
        # use, for the types asked about only (a group key per row of a tenant costs ~10% of
        # the build, and the integration selector asks about one or two types).
        self._scoped: dict[str | None, dict[str, list[Row]]] = {}
        # private endpoint connections, from the endpoint's side: target id -> [(pe row, connection)]
        self.endpoints_by_target: dict[str, list[tuple[Row, Row]]] = defaultdict(list)
        self.zone_groups_by_endpoint: dict[str, list[Row]] = defaultdict(list)
        self.links_by_zone: dict[str, list[Row]] = defaultdict(list)
        # (zone, linked VNet) -> links: "is this zone linked to that VNet" without walking every
        # link of a hub zone that a thousand spokes link to.
        self.links_by_zone_and_vnet: dict[tuple[str, str], list[Row]] = defaultdict(list)
        # the links kept out of links_by_zone_and_vnet: Failed, or not yet live (provisioning)
        self.links_not_in_place: dict[tuple[str, str], list[Row]] = defaultdict(list)
        self.nics_by_vnet: dict[str, list[Row]] = defaultdict(list)
        self.assignments_by_principal: dict[str, list[Row]] = defaultdict(list)
        # subscription id (lower) -> the management groups above it (lower-cased names), from
        # the subscription rows Resource Graph's resourcecontainers returns
        self.management_groups: dict[str, frozenset[str]] = {}
        rows = rows if type(rows) is list else list(rows)
        if not self._build_columns(rows):
            self._build_rows(rows)

    def _build_columns(self, rows: list[Any]) -> bool:
        """Index rows that are all in Resource Graph's shape a column at a time (C-level
        ``map`` over the rows instead of a dozen bytecodes per row); False, with nothing
        changed, for anything else, which :meth:`_build_rows` then reads row by row.

        The result is the same as :meth:`_build_rows`' (property-tested): the same rows kept
        as they are or normalised, the same keys, winners and index order.
        """
        if not rows or set(map(type, rows)) != {dict}:
            return False
        # Each row's type read once, as one shared string per distinct type: every later
        # pass (odd types, by_type) hashes and compares a few strings in cache instead of
        # touching each row's own copy again (a cache miss per row and pass at N = 1,000).
        kinds: dict[Any, Any] = _Distinct()
        try:
            types: list[Any] = list(map(kinds.__getitem__, map(_TYPE, rows)))
        except (KeyError, TypeError):  # a row without a type, or an unhashable one
            return False
        if not all(type(t) is str for t in kinds):  # equal values of other types (1, True,
            return False  # a str subclass) would share a key: row by row
        odd = {t for t in kinds if not _normal_type(t)}
        # name, subscriptionId and resourceGroup there (what _already_normal asks of a row),
        # read in one pass over the rows; a blank name (or a missing field) is looked at
        # row by row below
        try:
            fine = (
                all(map(_SUBSCRIPTION_OF, rows))
                and all(map(_GROUP_OF, rows))
                and all(map(dict.__contains__, rows, _NAME))
            )
        except KeyError:
            fine = False
        if odd and fine:  # role assignments (their scope), odd type spellings...
            rows = rows.copy()  # never the caller's list
            todo = [(rtype, i) for rtype in odd for i in _positions(types, rtype)]
            for rtype, i in todo:  # a role assignment with its scope is kept as it is
                if rtype != ROLE_ASSIGNMENT or not _already_normal(rows[i]):
                    rows[i] = normalize_row(rows[i])
                    types[i] = rows[i]["type"]
        elif not fine:  # subscription rows (no group), rows without a name...
            rows_fine = map(
                all,
                zip(
                    map(dict.__contains__, rows, _NAME),
                    map(dict.get, rows, _SUBSCRIPTION),
                    map(dict.get, rows, _GROUP),
                    strict=True,
                ),
            )
            marks = map(or_, map(odd.__contains__, types), map(not_, rows_fine))
            rows = rows.copy()  # never the caller's list
            for i in list(compress(count(), marks)):
                if not _already_normal(rows[i]):  # (a role assignment with its scope)
                    rows[i] = normalize_row(rows[i])
                    types[i] = rows[i]["type"]
        try:
            # ids.norm() a column at a time; a missing or non-string id goes row by row
            keys = list(map(str.lower, map(str.rstrip, map(str.strip, map(_ID, rows)), _SLASH)))
        except (KeyError, TypeError):
            return False
        by_id = dict(zip(keys, rows, strict=True))  # the later row with the same id wins
        if "" in by_id:  # a blank id: skipped row by row
            return False
        self.by_id = by_id
        if len(by_id) != len(rows):  # rare: index the winners only
            rows = list(by_id.values())
            types = list(map(_TYPE, rows))
        self._index_columns(types, rows)
        return True

    def _index_columns(self, types: list[str], rows: list[Row]) -> None:
        """Index rows (and their types) in inventory order: grouped by type at C speed, then
        each indexed type's rows in order (each relation index is written by one type)."""
        by_type = self.by_type
        deque(map(list.append, map(by_type.__getitem__, types), rows), maxlen=0)
        for rtype, indexer in _INDEXERS.items():
            of_type = by_type.get(rtype)
            if not of_type:
                continue
            if rtype == PRIVATE_ENDPOINT:  # the same indexes, all rows of the type in one loop
                index_private_endpoints(self.endpoints_by_target, of_type)
            elif rtype == DNS_ZONE_GROUP:
                index_zone_groups(self.zone_groups_by_endpoint, of_type)
            elif rtype == VNET_LINK:
                index_vnet_links(
                    self.links_by_zone,
                    self.links_by_zone_and_vnet,
                    of_type,
                    self.links_not_in_place,
                )
            else:
                for row in of_type:
                    indexer(self, row)

    def _build_rows(self, rows: Iterable[Any]) -> None:
        """The general build: each row normalised as needed, then indexed."""
        by_id = self.by_id
        by_type = self.by_type
        duplicates = False
        # Type strings _already_normal() accepted: for a row of one of them, only its own
        # fields are left to look at (no lower(), strip() and call per row of a tenant).
        normal_types: set[str] = set()
        for raw in rows:
            # A row already in normal form (every Resource Graph row) is kept as it is:
            # normalize_row() would return an equal shallow copy (nested values were shared
            # anyway), and making then freeing a copy of every row costs ~15% of this build.
            rtype: Any = raw.get("type") if type(raw) is dict else None
            if (
                type(rtype) is str
                and rtype in normal_types
                and "name" in raw
                and raw.get("subscriptionId")
                and raw.get("resourceGroup")
            ) or _already_normal(raw):
                row = raw
                if rtype != ROLE_ASSIGNMENT:  # each of its rows needs its own scope
                    normal_types.add(rtype)
            else:
                row = normalize_row(raw)
                rtype = row["type"]
            rid = row.get("id")
            # ids.norm() inlined: this loop runs once per row of a tenant.
            key = rid.strip().rstrip("/").lower() if type(rid) is str else ids.norm_text(rid)
            if not key:
                continue
            if key in by_id:
                duplicates = True
            # Overlapping snapshot files: the later row with the same id wins.
            by_id[key] = row
            if not duplicates:
                # Index the row while it is at hand: one pass over a tenant's rows, not two.
                by_type[rtype].append(row)
                indexer = _INDEXERS.get(rtype)
                if indexer:
                    indexer(self, row)
        if duplicates:
            # Rare: index again from the winners only.
            for index in (self.by_type, *self._relations()):
                index.clear()
            winners = list(by_id.values())
            self._index_columns(list(map(_TYPE, winners)), winners)

    def _relations(self) -> tuple[dict[Any, Any], ...]:
        return (
            self.endpoints_by_target,
            self.zone_groups_by_endpoint,
            self.links_by_zone,
            self.links_by_zone_and_vnet,
            self.links_not_in_place,
            self.nics_by_vnet,
            self.assignments_by_principal,
            self.management_groups,
        )

    def __len__(self) -> int:
        return len(self.by_id)

    def __iter__(self) -> Iterator[Row]:
        return iter(self.by_id.values())

    def get(self, resource_id: str | None) -> Row | None:
        """The row with this id (case-insensitive), or None."""
        return self.by_id.get(ids.norm(resource_id)) if resource_id else None

    def of_type(self, rtype: str) -> list[Row]:
        return self.by_type.get(rtype.lower(), [])

    def in_scope(self, scope: str, types: Iterable[str] = ()) -> list[Row]:
        """The rows in a resource group or subscription (``/subscriptions/{s}[/resourceGroups/
        {rg}]``), only of ``types`` when given; in inventory order within each type."""
        return self.in_scope_key(ids.norm(scope), types)

    def in_scope_key(self, key: str, types: Iterable[str] = ()) -> list[Row]:
        """:meth:`in_scope` of the scope whose key (``ids.norm``) is ``key``."""
        if not types:
            return self._scope_index(None).get(key, [])
        return [row for t in types for row in self._scope_index(t.lower()).get(key, [])]

    def in_resource_group(self, scope: str) -> list[Row]:
        """The rows in a resource group (``/subscriptions/{s}/resourceGroups/{rg}``)."""
        return self.in_scope(scope)

    def _scope_index(self, rtype: str | None) -> dict[str, list[Row]]:
        index = self._scoped.get(rtype)
        if index is None:
            index = self._scoped[rtype] = defaultdict(list)
            rows = self.by_id.items() if rtype is None else _keyed(self.by_type.get(rtype, []))
            for key, row in rows:
                group = _group_key(row["id"], key)
                sub = ids.norm(ids.subscription_scope(row["id"]))
                if group:
                    index[group].append(row)
                if sub:
                    index[sub].append(row)
        return index


def resource_group_key(resource_id: str) -> str:
    """``ids.norm(ids.resource_group_scope(resource_id))`` (the plain shape read off the id's
    key, which :func:`ids.norm` remembers)."""
    return _group_key(resource_id, ids.norm(resource_id))


def _keyed(rows: list[Row]) -> Iterator[tuple[str, Row]]:
    return ((ids.norm(row["id"]), row) for row in rows)


def _group_key(resource_id: str, key: str) -> str:
    """``norm(resource_group_scope(resource_id))``, read off the already lower-cased ``key``.

    Ids in the plain shape ``/subscriptions/{s}/resourceGroups/{rg}/...`` (what Azure returns)
    take a fast path; anything else goes through the general parser, so the result is the same.
    """
    # len(key) == len(id): norm() stripped nothing, so key is the id lower-cased, segment for
    # segment, and the scope is a prefix of it.
    if len(key) == len(resource_id) and key.startswith("/subscriptions/"):
        sub_end = key.find("/", 15)
        if sub_end > 15 and key.startswith("/resourcegroups/", sub_end):
            rg_end = key.find("/", sub_end + 16)
            scope = key if rg_end < 0 else key[:rg_end]
            rg = scope[sub_end + 16 :]
            if rg and rg == rg.strip() and key[15:sub_end] != "resourcegroups":
                return scope
    return ids.norm(ids.resource_group_scope(resource_id))


# Property names are case-insensitive in ARM (a template may write PrivateLinkServiceConnections):
# ``d.get(name) or _any_case(d, name)`` reads the exact spelling at C speed, any other casing after.


def _index_private_endpoint(inv: Inventory, row: Row) -> None:
    props = _dict(row.get("properties") or _any_case(row, "properties"))
    auto = props.get("privateLinkServiceConnections") or _any_case(
        props, "privateLinkServiceConnections"
    )
    manual = props.get("manualPrivateLinkServiceConnections") or _any_case(
        props, "manualPrivateLinkServiceConnections"
    )
    for conn in _list(auto) + _list(manual):
        cprops = _dict(_dict(conn).get("properties") or _any_case(conn, "properties"))
        target = cprops.get("privateLinkServiceId") or _any_case(cprops, "privateLinkServiceId")
        if target:
            inv.endpoints_by_target[ids.norm(target)].append((row, conn))


def _parent_key(resource_id: str, marker: str) -> str | None:
    """``ids.norm(ids.parent_of_child(resource_id, marker))`` with one ``lower()`` of the id,
    None where that parent is ""; ``marker`` is ``/name/`` lower-cased."""
    low = resource_id.lower()
    i = low.rfind(marker)
    if i <= 0:
        return None
    if resource_id.isascii():  # lower() kept every character where it was
        return low[:i].strip().rstrip("/")
    return ids.norm(resource_id[:i])


def _index_zone_group(inv: Inventory, row: Row) -> None:
    endpoint = _parent_key(row["id"], "/privatednszonegroups/")
    if endpoint is not None:
        inv.zone_groups_by_endpoint[endpoint].append(row)


def _index_vnet_link(inv: Inventory, row: Row) -> None:
    zone_key = _parent_key(row["id"], "/virtualnetworklinks/")
    if zone_key is not None:
        inv.links_by_zone[zone_key].append(row)
        props = _dict(row.get("properties") or _any_case(row, "properties"))
        vnet = _dict(props.get("virtualNetwork") or _any_case(props, "virtualNetwork"))
        vnet = vnet.get("id") or _any_case(vnet, "id")
        # a link counts only once provisioned and live (provisioning.py): a Failed one links
        # nothing, one in progress cannot be read yet (dns.linked makes that an error)
        live = props.get("provisioningState") in (None, "Succeeded") and props.get(
            "virtualNetworkLinkState"
        ) in (None, "Completed")
        if not live and not provisioning.in_place(row, link=True):
            inv.links_not_in_place[(zone_key, ids.norm(vnet))].append(row)
        else:
            inv.links_by_zone_and_vnet[(zone_key, ids.norm(vnet))].append(row)


def _index_nic(inv: Inventory, row: Row) -> None:
    seen: set[str] = set()
    props = _dict(row.get("properties") or _any_case(row, "properties"))
    for cfg in _list(props.get("ipConfigurations") or _any_case(props, "ipConfigurations")):
        cprops = _dict(_dict(cfg).get("properties") or _any_case(cfg, "properties"))
        subnet = _dict(cprops.get("subnet") or _any_case(cprops, "subnet"))
        subnet = subnet.get("id") or _any_case(subnet, "id")
        vnet = ids.norm(ids.vnet_of_subnet(subnet or ""))
        if vnet and vnet not in seen:
            seen.add(vnet)
            inv.nics_by_vnet[vnet].append(row)


def _index_role_assignment(inv: Inventory, row: Row) -> None:
    props = _dict(row.get("properties") or _any_case(row, "properties"))
    principal = props.get("principalId") or _any_case(props, "principalId")
    if principal:
        inv.assignments_by_principal[str(principal).lower()].append(row)


def _index_subscription(inv: Inventory, row: Row) -> None:
    sub = str(row.get("subscriptionId") or ids.parse(row["id"]).subscription_id).lower()
    chain = _any_case(_dict(_any_case(row, "properties")), "managementGroupAncestorsChain")
    if sub and isinstance(chain, list):
        names = (_any_case(_dict(group), "name") for group in chain)
        inv.management_groups[sub] = frozenset(n.lower() for n in names if isinstance(n, str))


_INDEXERS = {
    PRIVATE_ENDPOINT: _index_private_endpoint,
    DNS_ZONE_GROUP: _index_zone_group,
    VNET_LINK: _index_vnet_link,
    NIC: _index_nic,
    ROLE_ASSIGNMENT: _index_role_assignment,
    SUBSCRIPTION: _index_subscription,
}
