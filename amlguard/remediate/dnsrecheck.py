"""``apply`` re-checks, from the estate as it is now, that every public-access cut of a saved
plan (every action flagged ``CUTS_PUBLIC_ACCESS``: a resource's public network access, a
component's public ingestion and query) still has its private DNS zones resolving in the
solution VNet (dnsready's judgement).

A plan saved while a zone resolved may be applied after the zone's link to the solution VNet
was deleted (or its custom DNS changed): cutting public access then locks the VNet's clients
out. Before anything is shown or sent, the estate of the instances the cuts belong to is read
again (Resource Graph for the subscriptions involved, as a check reads it) and the private DNS
zones' virtual network links and the solution VNets are re-read from ARM, which Resource Graph
may trail by minutes. Each cut is then judged as the planner judged it
(:func:`amlguard.remediate.dnsready.dns_problem`, with the zones of the plan's own zone groups
where the endpoint has none yet; :func:`amlguard.remediate.dnsready.scope_problem` for a cut
whose private path is an Azure Monitor private link scope). A cut whose zone no longer resolves
(or, for a scope, whose endpoint left the solution VNet or lost its zone group) refuses the
whole plan (``InputError``, exit 2, naming why); a read that fails is ``RemediationError``
(exit 3).
"""

from __future__ import annotations

from typing import Any

from amlguard.errors import InputError, RemediationError
from amlguard.remediate import dnsready
from amlguard.remediate.clients import ArmError
from amlguard.remediate.interface import PlanContext
from amlguard.remediate.plan import CUTS_PUBLIC_ACCESS, Action, Plan
from amlguard.remediate.verify import neutral
from amlguard.scanner import ids, inventory
from amlguard.scanner.instances import Instance, InstanceSettings, build_instances
from amlguard.scanner.inventory import Inventory

#: the operation of a cut whose private path is a private link scope (``private_link_scope``)
SCOPED_CUT = "disable-public-ingestion-query"
SCOPE_PARAM = "private_link_scope"
MONITOR_GROUP = "azuremonitor"
ZONE_API = "2020-06-01"
VNET_API = "2024-05-01"
Row = dict[str, Any]


def cuts_of(plan: Plan) -> list[Action]:
    """The actions of ``plan`` that cut public access: every action flagged
    ``CUTS_PUBLIC_ACCESS``, whatever its operation."""
    return [a for a in plan.actions if CUTS_PUBLIC_ACCESS in a.flags]


def path_of(action: Action) -> str:
    """The resource whose private endpoints carry the traffic once ``action`` cuts public
    access: the private link scope a component's cut names, else the target itself."""
    if action.operation == SCOPED_CUT:
        return str(action.params.get(SCOPE_PARAM) or "")
    return action.target


def cut_problem(ctx: PlanContext, inst: Instance, action: Action, plan: Plan) -> str:
    """Why ``action``'s cut would leave the solution VNet without a private path now ("" when
    it would not), judged as its planner judged it."""
    if action.operation == SCOPED_CUT:
        scope = path_of(action)
        if not scope:
            return dnsready.scope_waiting(action.target, "the plan names no private link scope")
        problem = dnsready.scope_problem(ctx, inst, scope, MONITOR_GROUP)
        return dnsready.scope_waiting(action.target, problem) if problem else ""
    problem = dnsready.dns_problem(ctx, inst, action.target, planned_zones(plan, action.target))
    return dnsready.waiting(action.target, problem) if problem else ""


def planned_zones(plan: Plan, target: str) -> list[tuple[str, str | None]]:
    """(zone name, zone id) of the zone groups the plan itself creates for ``target``."""
    out: list[tuple[str, str | None]] = []
    for a in plan.actions:
        if a.operation != "create-dns-zone-group":
            continue
        if ids.norm(str(a.params.get("endpoint_target") or "")) != ids.norm(target):
            continue
        configs = (a.body.get("properties") or {}).get("privateDnsZoneConfigs") or []
        for cfg in configs if isinstance(configs, list) else []:
            zone = ((cfg or {}).get("properties") or {}).get("privateDnsZoneId")
            if isinstance(zone, str) and zone:
                out.append((ids.short_name(zone), zone))
    return out


def recheck(
    plan: Plan,
    clients: Any,
    parameters: dict[str, dict[str, Any]] | None,
    cloud: str,
    settings: InstanceSettings | None = None,
) -> None:
    """Refuse (``InputError``) a plan with a public-access cut whose private DNS zone does not
    resolve in its solution VNet now; nothing to do for a plan without such a cut."""
    cuts = cuts_of(plan)
    if not cuts:
        return
    settings = settings or InstanceSettings()
    rows = _current_rows(clients, cuts, settings)
    inv = Inventory(rows)
    instances = {ids.norm(i.id): i for i in build_instances(inv, settings)}
    rows = _fresh_from_arm(clients, rows, inv, cuts, instances, plan)
    inv = Inventory(rows)
    instances = {ids.norm(i.id): i for i in build_instances(inv, settings)}
    from amlguard.scanner.rules import load_pack

    ctx = PlanContext(
        inv, instances, {r.id: r for r in load_pack().rules}, dict(parameters or {}), cloud
    )
    problems = []
    for a in cuts:
        inst = instances.get(ids.norm(a.instance))
        if inst is None:
            problems.append(f"{a.id}: workspace {a.instance} is no longer in Azure")
            continue
        problem = cut_problem(ctx, inst, a, plan)
        if problem:
            problems.append(f"{a.id}: {problem}")
    if problems:
        raise InputError(
            "DNS resolution changed since the plan was made, so nothing was written (plan "
            "again with check --fix --plan-out once the zone resolves):\n  "
            + "\n  ".join(neutral(p, 600) for p in problems)
        )


def _subscriptions(cuts: list[Action]) -> tuple[str, ...]:
    subs = {
        ids.parse(r).subscription_id for a in cuts for r in (a.instance, a.target, path_of(a)) if r
    }
    return tuple(sorted((s for s in subs if s), key=str.lower))


def _current_rows(clients: Any, cuts: list[Action], settings: InstanceSettings) -> list[Row]:
    """The estate of the cuts' subscriptions as a check reads it now; a gap is exit 3."""
    from amlguard.scanner.rules import load_pack
    from amlguard.scanner.scan import needs_of
    from amlguard.scanner.sources.live import LiveOptions, LiveScope
    from amlguard.scanner.sources.resourcegraph import ResourceGraphSource

    factory = getattr(clients, "factory", None)
    if factory is None:
        raise RemediationError("cannot re-check DNS resolution: no Azure connection to read it")
    source = ResourceGraphSource(
        factory, LiveScope(_subscriptions(cuts)), LiveOptions(), instance_settings=settings
    )
    collected = source.collect(needs_of(load_pack().rules, settings=settings))
    if collected.info.gaps:
        raise RemediationError(
            "cannot re-check DNS resolution before cutting public access, so nothing was "
            "written: " + "; ".join(neutral(g.reason) for g in collected.info.gaps[:3])
        )
    return list(collected.rows)


def _zones_to_check(inv: Inventory, cuts: list[Action], plan: Plan) -> set[str]:
    """The private DNS zone ids the cuts' endpoints' zone groups (and the plan's) use."""
    out: set[str] = set()
    for a in cuts:
        for pe, _conn in inv.endpoints_by_target.get(ids.norm(path_of(a)), []):
            for group in inv.zone_groups_by_endpoint.get(ids.norm(pe.get("id")), []):
                configs = (group.get("properties") or {}).get("privateDnsZoneConfigs") or []
                for cfg in configs if isinstance(configs, list) else []:
                    zone = ((cfg or {}).get("properties") or {}).get("privateDnsZoneId")
                    if isinstance(zone, str) and zone:
                        out.add(zone)
        out |= {z for _, z in planned_zones(plan, a.target) if z}
    return out


def _fresh_from_arm(
    clients: Any,
    rows: list[Row],
    inv: Inventory,
    cuts: list[Action],
    instances: dict[str, Instance],
    plan: Plan,
) -> list[Row]:
    """``rows`` with the checked zones, their links and the solution VNets as ARM has them."""
    from amlguard.scanner.sources.armlist import as_row, read_list
    from amlguard.scanner.sources.query import Stats

    zones = _zones_to_check(inv, cuts, plan)
    vnets = {
        inst.solution_vnet
        for a in cuts
        if (inst := instances.get(ids.norm(a.instance))) is not None and inst.solution_vnet
    }
    replaced = {ids.norm(z) for z in zones} | {ids.norm(v) for v in vnets}
    link_parents = {ids.norm(z) for z in zones}
    kept = [
        r
        for r in rows
        if ids.norm(r.get("id")) not in replaced
        and not (
            str(r.get("type") or "").lower() == inventory.VNET_LINK
            and ids.norm(ids.parent_of_child(str(r.get("id")), "virtualNetworkLinks"))
            in link_parents
        )
    ]
    client = clients.factory.arm_pipeline()
    endpoint = clients.factory.settings.endpoint
    try:
        for rid, api in [*((z, ZONE_API) for z in sorted(zones)), *((v, VNET_API) for v in vnets)]:
            body = _get(clients, rid, api)
            if body is None:
                continue  # deleted: the judgement says the zone (or VNet) is not there
            kept.append(as_row(body, {}))
            if rid in zones:
                url = f"{endpoint}{rid}/virtualNetworkLinks?api-version={ZONE_API}"
                items, gap = read_list(client, url, rid, "virtual network links", Stats())
                if gap is not None:
                    raise RemediationError(
                        f"cannot re-check DNS resolution, so nothing was written: {gap.reason}"
                    )
                kept += [as_row(item, body) for item in items]
    finally:
        client.close()
    return kept


def _get(clients: Any, rid: str, api: str) -> Row | None:
    try:
        body = clients.get(rid, api)
    except ArmError as exc:
        raise RemediationError(
            f"cannot re-read {rid} to re-check DNS resolution, so nothing was written: {exc}"
        ) from None
    return body if isinstance(body, dict) and isinstance(body.get("id"), str) else None
