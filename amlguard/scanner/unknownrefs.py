"""References that are unknown before deployment (templates): a DNS zone link's VNet, a
private endpoint's target.

The inventory indexes rows by the ids they name. A template may name an id that only exists
after deployment (``reference(...)``, a hub deployment's output): the row then holds an
:class:`~amlguard.scanner.unknown.Unknown`, which indexes as text and never matches a real id,
so "not linked" or "no private endpoint" would be a guess. The rule evaluation asks here, at
the point of use, and raises :class:`~amlguard.scanner.shapes.UnknownAt` (the finding becomes
``error``) when an unknown reference could be the one it looks for. The inventory build never
raises: these lists are made lazily, once per scan, from the rows, and not at all while no
:class:`~amlguard.scanner.unknown.Unknown` exists in the process (a snapshot scan: JSON holds
none), as none of the rows can then hold one.
"""

from __future__ import annotations

from typing import Any

from amlguard.scanner import ids
from amlguard.scanner.inventory import PRIVATE_ENDPOINT, VNET_LINK, Inventory, Row
from amlguard.scanner.shapes import UnknownAt, Where, member
from amlguard.scanner.unknown import Unknown, none_made

_CONNECTIONS = ("privateLinkServiceConnections", "manualPrivateLinkServiceConnections")


def _get(value: Any, key: str) -> Any:
    return member(value, key) if isinstance(value, dict) else None


def link_vnet_unknowns(inv: Inventory, zone_id: str) -> list[UnknownAt]:
    """The links of zone ``zone_id`` whose ``virtualNetwork.id`` is unknown, as errors."""
    return [UnknownAt(value, where) for value, where in _link_unknowns(inv, zone_id)]


def _link_unknowns(inv: Inventory, zone_id: str) -> list[tuple[Unknown, Where]]:
    if none_made():  # no value anywhere is unknown (a snapshot scan): no row to look at
        return []
    memo = inv.memo.setdefault("unknownLinkVnets", {})
    if not memo:
        memo[""] = []  # built (a scan without such links asks once, too)
        for link in inv.of_type(VNET_LINK):
            vnet = _get(_get(_get(link, "properties"), "virtualNetwork"), "id")
            zone = ids.parent_of_child(str(link["id"]), "virtualNetworkLinks")
            if type(vnet) is Unknown and zone:
                where = Where(link["id"], "properties.virtualNetwork.id")
                memo.setdefault(ids.norm(zone), []).append((vnet, where))
    found: list[tuple[Unknown, Where]] = memo.get(ids.norm(zone_id), [])
    return found


def require_links_known(inv: Inventory, zone_id: str) -> None:
    """Raise when a link of zone ``zone_id`` names a VNet unknown before deployment (it may be
    the VNet a caller found no link to)."""
    unknowns = _link_unknowns(inv, zone_id)
    if unknowns:
        raise UnknownAt(*unknowns[0])


def _endpoint_unknowns(inv: Inventory) -> list[tuple[Row, Any, Unknown, Where]]:
    """(endpoint row, its groupIds, error) per connection whose target is unknown."""
    if none_made():  # no value anywhere is unknown (a snapshot scan): no row to look at
        return []
    memo = inv.memo.setdefault("unknownEndpointTargets", {})
    found = memo.get("")
    if found is None:
        found = memo[""] = []
        for pe in inv.of_type(PRIVATE_ENDPOINT):
            props = _get(pe, "properties")
            for name in _CONNECTIONS:
                conns = _get(props, name)
                for i, conn in enumerate(conns if isinstance(conns, list) else []):
                    cprops = _get(conn, "properties")
                    target = _get(cprops, "privateLinkServiceId")
                    if type(target) is Unknown:
                        where = Where(pe["id"], f"properties.{name}[{i}]")
                        where = where / "properties" / "privateLinkServiceId"
                        found.append((pe, _get(cprops, "groupIds"), target, where))
    return found


def require_endpoint_targets_known(inv: Inventory, group_ids: list[str] | None = None) -> None:
    """Raise when a private endpoint's target is unknown before deployment and the endpoint
    could serve a resource whose valid group ids are ``group_ids`` (None: any resource); an
    endpoint whose known group ids are all outside ``group_ids`` cannot serve it."""
    wanted = {g.lower() for g in group_ids} if group_ids is not None else None
    for _pe, groups, target, where in _endpoint_unknowns(inv):
        known = (
            [g.lower() for g in groups]
            if isinstance(groups, list) and all(type(g) is str for g in groups)
            else None
        )
        if wanted is None or known is None or not known or set(known) & wanted:
            raise UnknownAt(target, where)


def unknown_endpoint_targets(inv: Inventory) -> list[UnknownAt]:
    """Every private endpoint connection whose target is unknown before deployment."""
    return [UnknownAt(t, where) for _pe, _groups, t, where in _endpoint_unknowns(inv)]


def unknown_solution_vnet(inv: Inventory) -> Unknown | None:
    """What an instance without a solution VNet has instead when an endpoint's target is
    unknown before deployment: that endpoint may be the instance's, and its subnet the VNet."""
    memo = inv.memo.setdefault("unknownSolutionVnet", {})
    if "" not in memo:
        found = _endpoint_unknowns(inv)
        memo[""] = None
        if found:
            pe, _groups, target, where = found[0]
            key = f"the solution VNet (the target of private endpoint {ids.short_name(pe['id'])}"
            memo[""] = Unknown(f"{key} is {target.key})", target.secret, target.where or str(where))
    value: Unknown | None = memo[""]
    return value


__all__ = [
    "link_vnet_unknowns",
    "require_endpoint_targets_known",
    "require_links_known",
    "unknown_endpoint_targets",
    "unknown_solution_vnet",
]
