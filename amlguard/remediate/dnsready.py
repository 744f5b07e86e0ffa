"""Whether a resource's private DNS zones resolve in its instance's solution VNet, before the
plan cuts its public access (red team session 5, defect 16).

An approved private endpoint with a DNS zone group is not enough: when a zone the endpoint needs
does not answer inside the solution VNet (not linked, custom DNS servers that do not forward
it, ...), clients there still resolve the public name, and once public access is disabled they
are locked out. The judgement is the one the scan makes for private DNS zones
(``scanner.dns.dns_resolution``: a link, a resolver, a firewall DNS proxy, a forwarding
ruleset), with the parameters the loaded rules give it (by parameter name), over the zones the
private link table lists for each group of the resource's endpoints, in the zone groups that
exist or that the plan would create.
"""

from __future__ import annotations

from typing import Any

from amlguard.remediate.interface import PlanContext
from amlguard.scanner import ids, provisioning, zonegroups
from amlguard.scanner.context import EvalContext, Undeterminable
from amlguard.scanner.dns import dns_resolution
from amlguard.scanner.endpointreach import reachable_private_endpoints
from amlguard.scanner.instances import Instance
from amlguard.scanner.paths import get_key

#: the parameters of the rule(s) that judge DNS resolution, by name
_PARAMS = ("trusted_dns_servers", "dns_resolution")
Row = dict[str, Any]


def _props(row: Any) -> dict[str, Any]:
    p = row.get("properties") if isinstance(row, dict) else None
    if p is None and isinstance(row, dict):  # any casing, as ARM reads property names
        p = get_key(row, "properties")
    return p if isinstance(p, dict) else {}


def _status(conn: Row) -> str:
    state = get_key(_props(conn), "privateLinkServiceConnectionState")
    return str(get_key(state, "status") or "" if isinstance(state, dict) else "").lower()


def _groups(conn: Row) -> list[str]:
    got = get_key(_props(conn), "groupIds")
    return [str(g) for g in got if isinstance(g, str)] if isinstance(got, list) else []


def dns_parameters(ctx: PlanContext) -> dict[str, Any]:
    """The DNS-resolution parameters the loaded rules declare (their effective values)."""
    out: dict[str, Any] = {}
    for rule_id in sorted(ctx.rules):
        defaults = ctx.rules[rule_id].defaults()
        for name in _PARAMS:
            if name in defaults and name not in out:
                out[name] = ctx.param(rule_id, name)
    return out


def zone_problem(ctx: PlanContext, inst: Instance, zone_id: str) -> str:
    """Why private DNS zone ``zone_id`` does not resolve in the instance's solution VNet, in
    words ("" when it does)."""
    name = ids.short_name(zone_id)
    row = ctx.inventory.get(zone_id)
    if row is None:
        return f"private DNS zone {name} is not in the scan, so it cannot be shown to resolve"
    if inst.solution_problem is not None:
        return f"the solution VNet cannot be determined ({inst.solution_problem})"
    if not inst.solution_vnet:
        return "the instance has no solution VNet, so DNS resolution cannot be judged"
    params = dns_parameters(ctx)
    judged = EvalContext(
        resource=row,
        inventory=ctx.inventory,
        instance=inst,
        params=params,
        private_link=ctx.private_link,
        cloud=ctx.cloud,
    )
    try:
        items = dns_resolution(
            judged,
            vnet=inst.solution_vnet,
            trusted=params.get("trusted_dns_servers"),
            mode=params.get("dns_resolution"),
        )
    except Undeterminable as exc:
        return f"private DNS zone {name}: {exc}"
    reasons = [str(i.get("id")) for i in items if isinstance(i, dict)]
    return (
        f"private DNS zone {name} does not resolve in the solution VNet ({'; '.join(reasons)})"
        if reasons
        else ""
    )


def _zone_ids_of(ctx: PlanContext, pe_id: str) -> dict[str, str]:
    """Zone name (lower-cased) -> zone id, from the endpoint's DNS zone groups."""
    out: dict[str, str] = {}
    for group in ctx.inventory.zone_groups_by_endpoint.get(ids.norm(pe_id), []):
        configs = get_key(_props(group), "privateDnsZoneConfigs")
        for cfg in configs if isinstance(configs, list) else []:
            zone = get_key(_props(cfg), "privateDnsZoneId")
            if isinstance(zone, str) and zone:
                out.setdefault(ids.short_name(zone).lower(), zone)
    return out


def _needed(ctx: PlanContext, row: Row, target: str, group: str) -> tuple[list[str], str]:
    """The zone names the table lists for ``group`` of the target, or why none is known."""
    rtype = str(row.get("type") or ids.parse(target).type).lower()
    zones = ctx.private_link.zones(rtype, row.get("kind"), group, ctx.cloud)
    if zones:
        return zones, ""
    return [], f"no private DNS zone is known for group {group} of {rtype} in {ctx.cloud}"


def _endpoint_problem(ctx: PlanContext, inst: Instance, row: Row, pe: Row, conn: Row) -> str:
    target = str(row.get("id") or "")
    broken = zonegroups.problem(ctx.inventory, str(pe.get("id")))
    if broken:  # a zone group that failed (or has not settled) wrote no records
        return broken
    have = _zone_ids_of(ctx, str(pe.get("id")))
    for group in _groups(conn) or [""]:
        zones, unknown = _needed(ctx, row, target, group)
        if unknown:
            return unknown
        for zone in zones:
            zone_id = have.get(zone.lower())
            if zone_id is None:
                return f"the DNS zone group of endpoint {pe.get('name')} has no zone {zone}"
            problem = zone_problem(ctx, inst, zone_id)
            if problem:
                return problem
    return ""


def _in_vnet(pe: Row, vnet: str | None) -> bool:
    subnet = get_key(get_key(_props(pe), "subnet"), "id")
    return (
        bool(vnet)
        and isinstance(subnet, str)
        and ids.norm(ids.vnet_of_subnet(subnet)) == ids.norm(vnet)
    )


def dns_problem(
    ctx: PlanContext,
    inst: Instance,
    target: str,
    planned: list[tuple[str, str | None]] | None = None,
) -> str:
    """Why cutting public access on ``target`` would lock clients in the solution VNet out for
    want of DNS ("" when it would not): a zone its endpoints' groups need does not resolve there.

    The endpoints judged are its approved ones with a DNS zone group (those in the solution VNet
    when there are such); without any, ``planned`` (zone name, zone id or None) are the zones
    the plan's own zone group would use (a zone that does not exist leaves that zone group
    incomplete, which already holds the action back).
    """
    row = ctx.inventory.get(target) or {"id": target, "type": ids.parse(target).type}
    ready = [
        (pe, conn)
        for pe, conn in ctx.inventory.endpoints_by_target.get(ids.norm(target), [])
        if _status(conn) == "approved"
        and provisioning.in_place(pe)
        and ctx.inventory.zone_groups_by_endpoint.get(ids.norm(pe.get("id")), [])
    ]
    if ready:
        local = [(pe, conn) for pe, conn in ready if _in_vnet(pe, inst.solution_vnet)]
        for pe, conn in local or ready:
            problem = _endpoint_problem(ctx, inst, row, pe, conn)
            if problem:
                return problem
        return ""
    for _zone, zone_id in planned or []:
        if zone_id is None:  # no zone to use: the zone group is incomplete, the action waits
            continue
        problem = zone_problem(ctx, inst, zone_id)
        if problem:
            return problem
    return ""


def _reached(ctx: PlanContext, inst: Instance, scope: Row, scope_id: str) -> set[str]:
    """The ids (``ids.norm``) of the scope's private endpoints in a VNet the solution VNet
    reaches, as AMLG-250 counts them; ``Undeterminable`` when none is and one may be."""
    judged = EvalContext(
        resource=scope,
        inventory=ctx.inventory,
        instance=inst,
        params={},
        private_link=ctx.private_link,
        cloud=ctx.cloud,
    )
    found = reachable_private_endpoints(judged, scope_id, inst.solution_vnet)
    return {ids.norm(item.get("id")) for item in found}


def scope_problem(ctx: PlanContext, inst: Instance, scope_id: str, group: str) -> str:
    """Why private link scope ``scope_id`` (an AMPLS) cannot carry the instance's traffic from
    its solution VNet ("" when it can): it needs an Approved ``group`` private endpoint in the
    solution VNet or a VNet it reaches (as AMLG-250 counts them: a Connected peering, a Virtual
    WAN hub) with a DNS zone group holding every zone the private link table lists for the
    group, each resolving in the solution VNet (every such endpoint is judged)."""
    name = ids.short_name(scope_id)
    if inst.solution_problem is not None:
        return f"the solution VNet cannot be determined ({inst.solution_problem})"
    if not inst.solution_vnet:
        return "the instance has no solution VNet, so the private path cannot be judged"
    row = ctx.inventory.get(scope_id)
    if row is None:
        return f"private link scope {name} is not in the scan"
    try:
        reached = _reached(ctx, inst, row, scope_id)
    except Undeterminable as exc:
        return f"private link scope {name}: {exc}"
    local = [
        (pe, conn)
        for pe, conn in ctx.inventory.endpoints_by_target.get(ids.norm(scope_id), [])
        if _status(conn) == "approved"
        and group.lower() in {g.lower() for g in _groups(conn)}
        and ids.norm(pe.get("id")) in reached
    ]
    vnet = ids.short_name(inst.solution_vnet)
    if not local:
        return (
            f"private link scope {name} has no Approved {group} private endpoint in the solution "
            f"VNet {vnet} or a VNet it reaches (peering Connected, Virtual WAN hub)"
        )
    zoned = [
        (pe, conn)
        for pe, conn in local
        if ctx.inventory.zone_groups_by_endpoint.get(ids.norm(pe.get("id")), [])
    ]
    if not zoned:
        names = ", ".join(sorted(str(pe.get("name")) for pe, _ in local))
        return (
            f"the {group} private endpoint(s) of {name} that VNet {vnet} reaches ({names}) have "
            "no DNS zone group"
        )
    for pe, conn in zoned:
        problem = _endpoint_problem(ctx, inst, row, pe, conn)
        if problem:
            return problem
    return ""


def planned_zones(ctx: PlanContext, inst: Instance, target: str) -> list[tuple[str, str | None]]:
    """(zone name, zone id or None) of the zone groups the endpoint remediator would create for
    ``target``: the zones the table lists for each group it creates, as it picks them."""
    from amlguard.remediate.remediators.endpoints import REQUIRED_GROUPS, _zone_ids

    row = ctx.inventory.get(target) or {"id": target, "type": ids.parse(target).type}
    rtype = str(row.get("type") or "").lower()
    out: list[tuple[str, str | None]] = []
    for group in REQUIRED_GROUPS.get(rtype, []):
        for zone in ctx.private_link.zones(rtype, row.get("kind"), group, ctx.cloud):
            out.append((zone, _zone_ids(ctx, inst, zone)))
    return out


def waiting(target: str, problem: str) -> str:
    """The manual step's reason when public access must wait for DNS."""
    return (
        f"not disabling public access on {ids.short_name(target)}: {problem}; clients in the "
        "solution VNet would still resolve its public name and be locked out. Make the zone "
        "resolve there (see the private DNS zone findings), then rerun --fix"
    )


def scope_waiting(target: str, problem: str) -> str:
    """The manual step's reason when a component's public ingestion and query must wait for
    its private link scope's private path (:func:`scope_problem`)."""
    return (
        f"not disabling public ingestion and query on {ids.short_name(target)}: {problem}; "
        "the workspace's telemetry and queries from the solution VNet would have no path. "
        "Give the private link scope an approved azuremonitor private endpoint in the solution "
        "VNet or a VNet it reaches (a Connected peering, a Virtual WAN hub) with its DNS zone "
        "group, make its zones resolve in the solution VNet, then rerun --fix"
    )
