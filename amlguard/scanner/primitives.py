"""The engine primitives rules invoke by name: expression functions and ``related`` sources.

These cover what plain conditions cannot say (blueprint.md section 2): follow an id, the private
endpoints of a resource with their DNS zones, role assignments covering a scope, the instance's
associated and integrated resources, DNS zone links and network interfaces of a VNet. Every
lookup is an index hit on the :class:`~amlguard.scanner.inventory.Inventory`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from amlguard.scanner import (
    approval,
    assignments,
    dns,
    ids,
    linked,
    nicplaces,
    shapes,
    unknownrefs,
    workspace_sources,
)
from amlguard.scanner.conditions import related_source
from amlguard.scanner.context import EvalContext, Undeterminable
from amlguard.scanner.endpointjoin import endpoints_in_vnet, endpoints_of
from amlguard.scanner.expressions import PARAMETER, binds, function, fuses_member
from amlguard.scanner.inventory import Inventory, Row
from amlguard.scanner.paths import (
    MISSING,
    PathError,
    compile_path,
    get_key,
    resolve,
    resolve_all,
)
from amlguard.scanner.rowshape import as_dict as _dict
from amlguard.scanner.rowshape import as_list as _list
from amlguard.scanner.rowshape import props as _props
from amlguard.scanner.shapes import MalformedValue, UnknownAt, Where
from amlguard.scanner.unknown import Unknown, UnknownValue
from amlguard.textsafe import visible

#: The primitives whose answer depends on the instance being judged, not only on the judged
#: resource and the inventory (a new primitive that reads ``ctx.instance`` belongs here). A rule
#: that uses none of them gives a resource the same verdict in every instance that shares it.
#: DNS resolution's related sources register on import (``dnsResolution``, ``centrallyManaged``)
REGISTERS = (
    dns.dns_resolution,
    dns.centrally_managed,
    approval.approver_assignments,
    assignments.role_assignments,
    workspace_sources.project_hub,
    linked.linked_resources,
)
PER_INSTANCE = frozenset(
    # roleAssignments reads whether the instance has a primary identity when no principal is given
    {
        "instance",
        "integratedresources",
        "instanceresources",
        "roleassignments",
        "approverassignments",
        # issue 13: a hub's projects, and the instance's datastores and rules
        "batchendpoints",
        "integrationgroups",
    }
)


def _present(value: Any) -> bool:
    return value is not MISSING and value is not None and value != ""


def _kind(row: Any) -> str | None:
    kind = row.get("kind") if isinstance(row, dict) else None
    return kind if isinstance(kind, str) else None


# ---------------------------------------------------------------- expression functions


def _bind_parameters(name: str) -> Callable[[EvalContext], Any]:
    def ev(ctx: EvalContext) -> Any:
        return ctx.params.get(name, MISSING)

    setattr(ev, PARAMETER, name)  # related calls read ctx.params themselves (relatedcall.py)
    return ev


@function("parameters")
@binds(_bind_parameters)
def _parameters(ctx: EvalContext, name: str) -> Any:
    value = ctx.params.get(name, MISSING)
    return value


def _bind_current(alias: str = "") -> Callable[[EvalContext], Any]:
    def ev(ctx: EvalContext) -> Any:
        try:
            return ctx.currents[alias]
        except KeyError:
            raise Undeterminable(f"current({alias!r}) used outside a count that names it") from None

    def member(name: str) -> Callable[[EvalContext], Any]:
        # ``current(alias).name`` in one frame: what expressions._member does over ``ev``
        def current_member(ctx: EvalContext) -> Any:
            try:
                value = ctx.currents[alias]
            except KeyError:
                return ev(ctx)  # raises what current() raises
            out = value.get(name, MISSING) if type(value) is dict else MISSING
            if out is MISSING:
                out = get_key(value, name)
            return MISSING if out is None else out

        return current_member

    return fuses_member(ev, member)


@function("current")
@binds(_bind_current)
def _current(ctx: EvalContext, alias: str = "") -> Any:
    if alias not in ctx.currents:
        raise Undeterminable(f"current({alias!r}) used outside a count that names it")
    return ctx.currents[alias]


@lru_cache(maxsize=256)
def _segments(path: str) -> tuple[str | int, ...]:
    return compile_path(path)


@function("field")
def _field(ctx: EvalContext, path: Any) -> Any:
    if not isinstance(path, str):
        raise Undeterminable(f"field() needs a property path, got {path!r}")
    try:
        segments = _segments(path)
    except PathError as exc:  # the loader rejects literal paths; this catches computed ones
        raise Undeterminable(f"field(): {exc}") from None
    if "*" in segments:
        return resolve_all(ctx.resource, segments)
    return resolve(ctx.resource, segments)


@function("instance")
def _instance(ctx: EvalContext) -> Any:
    if not ctx.instance:
        return MISSING
    view = ctx.instance.view()
    if view["solutionVnetId"] is None:  # an endpoint unknown before deployment may name it
        unknown = unknownrefs.unknown_solution_vnet(ctx.inventory)
        if unknown is not None:
            return {**view, "solutionVnetId": unknown, "solutionSubnetId": unknown}
    return view


def _instance_member(name: str) -> Callable[[EvalContext], Any]:
    """``instance().name`` in one frame: what expressions._member does over ``_instance``."""

    def instance_member(ctx: EvalContext) -> Any:
        instance = ctx.instance
        if not instance:
            return MISSING  # get_key(MISSING, name) is MISSING
        value = instance.view()
        if value["solutionVnetId"] is None:  # the unknown-VNet case, as _instance reads it
            value = _instance(ctx)
        out = value.get(name, MISSING) if type(value) is dict else MISSING
        if out is MISSING:
            out = get_key(value, name)
        return MISSING if out is None else out

    return instance_member


fuses_member(_instance, _instance_member)


@function("resource")
def _resource(ctx: EvalContext, resource_id: Any) -> Any:
    """Follow an id to the row it names (MISSING when it is not in the inventory)."""
    if not isinstance(resource_id, str) or not resource_id:
        return MISSING
    row = ctx.inventory.get(resource_id)
    return row if row is not None else MISSING


@function("vnetOf")
def _vnet_of(ctx: EvalContext, subnet_id: Any) -> Any:
    """The virtual network id of a subnet id (MISSING when it is not a subnet id)."""
    if type(subnet_id) is Unknown:  # an unknown subnet's VNet is unknown (templates)
        return subnet_id
    if not isinstance(subnet_id, str):
        return MISSING
    return ids.vnet_of_subnet(subnet_id) or MISSING


@function("keys")
def _keys(ctx: EvalContext, value: Any) -> Any:
    if type(value) is Unknown:
        return value
    return list(value.keys()) if isinstance(value, dict) else []


@function("length")
def _length(ctx: EvalContext, value: Any) -> Any:
    if type(value) is Unknown:  # not the length of its text
        return value
    return len(value) if isinstance(value, (list, dict, str)) else 0


#: (type, kind, group id, cloud, table) -> the zones ``privateDnsZones`` answers
_ZONES: dict[tuple[Any, ...], tuple[str, ...]] = {}


@function("privateDnsZones")
def _private_dns_zones(ctx: EvalContext, group_id: str, resource: Any = None) -> Any:
    """The zones an endpoint of the judged resource (or of the resource whose id is
    ``resource``) needs for ``group_id`` (cloud-aware)."""
    row = ctx.resource
    if isinstance(resource, str) and resource:
        row = ctx.inventory.get(resource) or {"id": resource, "type": ids.parse(resource).type}
    # Asked per endpoint and rule (8,000 times at N = 1,000) about a few (type, kind, group)
    # triples: kept per table, a fresh list each time (the table makes one per call too).
    key = (row["type"], _kind(row), str(group_id), ctx.cloud, ctx.private_link)
    found = _ZONES.get(key)
    if found is None:
        if len(_ZONES) >= 1024:
            _ZONES.clear()
        found = _ZONES[key] = tuple(ctx.private_link.zones(*key[:4]))
    zones = list(found)
    if not zones:
        # An empty list would make "containsAll: [privateDnsZones(...)]" pass vacuously.
        raise Undeterminable(
            f"zone unknown for this cloud: no private DNS zone is known for group id "
            f"{group_id!r} of {row['type']} in cloud {ctx.cloud} (policies/private_link.yaml)"
        )
    return zones


# ---------------------------------------------------------------- related sources


def _at(obj: dict[str, Any], key: str) -> Any:
    """``get_key(obj, key)`` for a dict: its exact-spelling hit without the call."""
    value = obj.get(key, MISSING)
    return get_key(obj, key) if value is MISSING else value


#: the default of an optional filter argument: not given (a given ``null`` filters to nothing)
NOT_GIVEN: Any = object()


@related_source("privateEndpoints")
def private_endpoints(ctx: EvalContext, target: Any = None, vnet: Any = NOT_GIVEN) -> list[Any]:
    """The private endpoints that point at a resource (default: the judged one); with ``vnet``,
    only those in that virtual network (none when ``vnet`` is absent).

    Joins the endpoint side (endpoint rows naming the target) with the target side (the target's
    ``privateEndpointConnections``, whose status wins unless it says Approved where the endpoint
    says otherwise: then the endpoint's, as two sides that disagree are not approved). An endpoint the target lists
    but the inventory lacks appears with ``found: false`` (and is in no VNet).
    """
    row: Row | None
    if target in (None, MISSING):
        target_id, row = str(ctx.resource["id"]), ctx.resource
    else:
        target_id, row = str(target), ctx.inventory.get(str(target))
    # an endpoint whose target is unknown before deployment (templates) may be one of these
    if _unknown_targets(ctx.inventory):
        rtype = row["type"] if row else ids.parse(target_id).type
        groups = ctx.private_link.group_ids(rtype, _kind(row))
        unknownrefs.require_endpoint_targets_known(ctx.inventory, groups)
    if vnet is NOT_GIVEN:
        return endpoints_of(ctx.inventory, target_id, row)
    if type(vnet) is Unknown:
        raise UnknownValue(vnet)
    if not _present(vnet):
        return []
    found = endpoints_in_vnet(ctx.inventory, target_id, str(vnet), row)
    if not found and (
        problem := ctx.inventory.memo.get("unreadSubnets", {}).get(ids.norm(target_id))
    ):
        # An endpoint whose subnet cannot be read may be the one in this VNet: not "none".
        raise MalformedValue(str(problem))
    return found


def _unknown_targets(inventory: Inventory) -> bool:
    """Whether any private endpoint's target is unknown before deployment (asked once per
    scan: the answer depends on the rows alone)."""
    memo = inventory.memo.get("anyUnknownEndpointTarget")
    if memo is None:
        found = bool(unknownrefs.unknown_endpoint_targets(inventory))
        memo = inventory.memo["anyUnknownEndpointTarget"] = {"": found}
    return memo[""]


def _target_view(ctx: EvalContext, resource_id: str, role: str | None = None) -> dict[str, Any]:
    # Three rules view each linked resource of every instance (104, 106, 108), and a shared one
    # is linked from many instances: the view depends on the id and role alone, so make it once.
    memo = ctx.inventory.memo.get("targetView")
    if memo is None:
        memo = ctx.inventory.memo["targetView"] = {}
    key = (resource_id, role, ctx.private_link)  # the table itself: an id() could be reused
    view = memo.get(key)
    if view is None:
        view = memo[key] = _make_target_view(ctx, resource_id, role)
    return view


def _make_target_view(ctx: EvalContext, resource_id: str, role: str | None) -> dict[str, Any]:
    row = ctx.inventory.get(resource_id)
    rtype = row["type"] if row else ids.parse(resource_id).type
    kind = _kind(row)
    group_ids = ctx.private_link.group_ids(rtype, kind)
    view: dict[str, Any] = {
        "id": row["id"] if row else resource_id,
        "name": resource_id.rstrip("/").rsplit("/", 1)[-1],
        "type": rtype,
        "kind": kind if kind else MISSING,
        "found": row is not None,
        "groupIds": group_ids if group_ids is not None else MISSING,
    }
    if role:
        view["role"] = role
    return view


def _require_known_ids(ctx: EvalContext) -> None:
    """Raise for an integrated resource whose id is unknown before deployment (templates: an
    outbound rule's destination from ``reference(...)``): it cannot be judged as an id."""
    for rid in ctx.instance.integrated if ctx.instance else ():
        if type(rid) is Unknown:
            where = Where(ctx.instance.id, "outboundRules.*.destination.serviceResourceId")
            raise UnknownAt(rid, where)


@related_source("integratedResources")
def integrated_resources(ctx: EvalContext) -> list[Any]:
    """The instance's integrated resources: id, type, kind, found, and their valid group ids."""
    if ctx.instance is None:
        return []
    _require_known_ids(ctx)
    return [_target_view(ctx, rid) for rid in ctx.instance.integrated]


@related_source("instanceResources")
def instance_resources(
    ctx: EvalContext, roles: Any = None, integrated: Any = False, missing: Any = None
) -> list[Any]:
    """The instance's linked associated resources (``roles``, default all), and its
    integrated resources too when ``integrated`` is true.

    With ``missing: error`` a linked id that is not in the inventory makes the finding
    ``error`` (outside the scan scope or deleted) instead of an item with ``found: false``.
    """
    if ctx.instance is None:
        return []
    wanted = {str(r).lower() for r in roles} if isinstance(roles, list) else None
    out = [
        _target_view(ctx, rid, role)
        for role, rid in ctx.instance.associated.items()
        if wanted is None or role.lower() in wanted
    ]
    if integrated is True:
        _require_known_ids(ctx)
        out += [_target_view(ctx, rid, "integrated") for rid in ctx.instance.integrated]
    if str(missing).lower() == "error":
        lost = [f"{v['role']} {v['id']}" for v in out if not v["found"]]
        if lost:
            raise Undeterminable(
                "linked resource(s) not in the scanned inventory (outside the scan scope or deleted): "
                + ", ".join(lost)
            )
    return out


def _public_ip(nic: Row, cprops: dict[str, Any]) -> Any:
    """The public IP address id an IP configuration holds (None: none). Read strictly
    (redteam6 item 7): a ``publicIPAddress`` given as a list or a bare string, or an object
    without an id, cannot be judged; an id unknown before deployment is still a public IP."""
    value = get_key(cprops, "publicIPAddress")
    if value is MISSING or value is None:
        return None
    at = shapes.Where(
        nic.get("id", "?"), "properties.ipConfigurations[].properties.publicIPAddress"
    )
    body = shapes.obj(value, at) or {}
    pip = get_key(body, "id")
    if type(pip) is Unknown:
        return pip
    text = shapes.text(pip if pip is not MISSING else None, at / "id")
    if not text or not text.strip():
        raise shapes.MalformedValue(
            f"{visible(str(at))} has no id: whether the NIC has a public IP cannot be judged"
        )
    return text


@related_source("vnetLinks")
def vnet_links(ctx: EvalContext, zone: Any = None, vnet: Any = NOT_GIVEN) -> list[Any]:
    """The virtual network links of a private DNS zone (default: the judged one); with ``vnet``,
    only the links to that virtual network (none when ``vnet`` is absent).

    The ``vnet`` filter is an index lookup: a hub zone linked to every spoke VNet of a tenant
    would otherwise be walked once per instance.
    """
    zone_id = str(zone) if _present(zone) else str(ctx.resource["id"])
    if vnet is NOT_GIVEN:
        links = ctx.inventory.links_by_zone.get(ids.norm(zone_id), [])
    elif _present(vnet):
        links = ctx.inventory.links_by_zone_and_vnet.get((ids.norm(zone_id), ids.norm(vnet)), [])
        if not links:  # a link whose VNet is unknown before deployment may be the one
            unknownrefs.require_links_known(ctx.inventory, zone_id)
    else:
        links = []
    return [
        {
            "id": link["id"],
            "name": link.get("name"),
            "vnetId": get_key(_dict(get_key(_props(link), "virtualNetwork")), "id") or MISSING,
        }
        for link in links
    ]


@related_source("networkInterfaces")
def network_interfaces(ctx: EvalContext, vnet: Any = None) -> list[Any]:
    """Network interfaces with an IP configuration in a VNet (default: the judged one)."""
    vnet_id = str(vnet) if _present(vnet) else str(ctx.resource["id"])
    key = ids.norm(vnet_id)
    if nicplaces.unplaced(ctx.inventory):  # (kept per scan; most scans have none to check)
        nicplaces.check(ctx.inventory, vnet_id)  # a NIC whose subnet cannot be read: error
    out = []
    # subnet id -> whether it is in the VNet: the NICs of a VNet sit in a few subnets
    inside: dict[str, bool] = {}
    for nic in ctx.inventory.nics_by_vnet.get(key, []):
        public = []
        for cfg in _list(get_key(_props(nic), "ipConfigurations")):
            cprops = _props(cfg)
            subnet = get_key(_dict(get_key(cprops, "subnet")), "id")
            if not isinstance(subnet, str):
                continue
            here = inside.get(subnet) if type(subnet) is str else None
            if here is None:
                here = ids.norm(ids.vnet_of_subnet(subnet)) == key
                if type(subnet) is str:
                    inside[subnet] = here
            if not here:
                continue
            pip = _public_ip(nic, cprops)
            if pip is not None:
                public.append(pip)
        out.append({"id": nic["id"], "name": nic.get("name"), "publicIpAddressIds": public})
    return out
