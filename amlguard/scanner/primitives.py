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
from amlguard.scanner.expressions import binds, function
from amlguard.scanner.inventory import Inventory, Row
from amlguard.scanner.paths import (
    MISSING,
    PathError,
    compile_path,
    get_key,
    resolve,
    resolve_all,
)
from amlguard.scanner.shapes import MalformedValue, UnknownAt, Where
from amlguard.scanner.solution import endpoint_subnet
from amlguard.scanner.unknown import Unknown, UnknownValue
from amlguard.scanner.workspace_sources import connection_states
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


def _props(row: Any) -> dict[str, Any]:
    p = row.get("properties") if isinstance(row, dict) else None
    if p is None and isinstance(row, dict):  # any casing, as ARM reads property names
        p = get_key(row, "properties")
    return p if isinstance(p, dict) else {}


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _kind(row: Any) -> str | None:
    kind = row.get("kind") if isinstance(row, dict) else None
    return kind if isinstance(kind, str) else None


# ---------------------------------------------------------------- expression functions


def _bind_parameters(name: str) -> Callable[[EvalContext], Any]:
    return lambda ctx: ctx.params.get(name, MISSING)


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

    return ev


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


@function("privateDnsZones")
def _private_dns_zones(ctx: EvalContext, group_id: str, resource: Any = None) -> Any:
    """The zones an endpoint of the judged resource (or of the resource whose id is
    ``resource``) needs for ``group_id`` (cloud-aware)."""
    row = ctx.resource
    if isinstance(resource, str) and resource:
        row = ctx.inventory.get(resource) or {"id": resource, "type": ids.parse(resource).type}
    zones = ctx.private_link.zones(row["type"], _kind(row), str(group_id), ctx.cloud)
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


def _zone_ids(inventory: Inventory, endpoint_key: str) -> list[str]:
    """The private DNS zone ids of an endpoint's zone groups (``endpoint_key``: its
    ``ids.norm`` id)."""
    out: list[str] = []
    for group in inventory.zone_groups_by_endpoint.get(endpoint_key, ()):
        props = group.get("properties")  # _props(group) without the call when it is a dict
        configs = _at(props if type(props) is dict else _props(group), "privateDnsZoneConfigs")
        for cfg in configs if isinstance(configs, list) else ():
            props = cfg.get("properties") if type(cfg) is dict else None
            zone = _at(props if type(props) is dict else _props(cfg), "privateDnsZoneId")
            if isinstance(zone, str) and zone:
                out.append(zone)  # an Unknown (templates) stays one: a condition reading it errs
    return out


def _zone_name(zone_id: str) -> str:
    """A zone's name from its id; a zone id unknown before deployment has an unknown name."""
    if type(zone_id) is Unknown:
        return zone_id
    return zone_id.rstrip("/").rsplit("/", 1)[-1].lower()


def _endpoint_item(inventory: Inventory, pe: Row, conn: Row, key: str) -> dict[str, Any]:
    # What the general reading below gives for an endpoint spelled as ARM returns it (every
    # value where it is expected, of the expected type), read at dict speed: ~6,600 endpoints
    # at N = 1,000, each read once per scan.
    props = pe.get("properties")
    cprops = conn.get("properties")
    if type(props) is dict and type(cprops) is dict:
        sub = props.get("subnet")
        subnet = sub.get("id") if type(sub) is dict else None
        plsc = cprops.get("privateLinkServiceConnectionState")
        state = plsc.get("status") if type(plsc) is dict else None
        groups = cprops.get("groupIds")
        if type(subnet) is str and subnet and type(state) is str and type(groups) is list:
            zone_ids = _zone_ids(inventory, key)
            return {
                "id": pe["id"],
                "name": pe.get("name"),
                "found": True,
                "groupIds": groups,
                "status": state,
                "subnetId": subnet,
                "vnetId": ids.vnet_of_subnet(subnet) or MISSING,
                "zoneIds": zone_ids,
                "zones": [_zone_name(z) for z in zone_ids],
            }
    return _endpoint_item_read(inventory, pe, conn, key)


def _endpoint_item_read(inventory: Inventory, pe: Row, conn: Row, key: str) -> dict[str, Any]:
    """:func:`_endpoint_item`, any spelling and shape."""
    props = _props(pe)
    subnet = str(_at(_dict(_at(props, "subnet")), "id") or "")
    cprops = _props(conn)
    state = _at(_dict(_at(cprops, "privateLinkServiceConnectionState")), "status")
    zone_ids = _zone_ids(inventory, key)
    return {
        "id": pe["id"],
        "name": pe.get("name"),
        "found": True,
        "groupIds": _list(_at(cprops, "groupIds")),
        "status": None if state is MISSING else state,
        "subnetId": subnet or MISSING,
        "vnetId": ids.vnet_of_subnet(subnet) or MISSING,
        "zoneIds": zone_ids,
        "zones": [_zone_name(z) for z in zone_ids],
    }


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


def endpoints_of(inventory: Inventory, target_id: str, row: Row | None = None) -> list[Any]:
    """:func:`private_endpoints` of ``target_id``, joined once per resource and scan.

    Several rules ask for the same resource's endpoints (109, 202 twice, 240...), and a shared
    resource is asked once per instance; the answer depends only on the inventory.
    """
    memo = inventory.memo.setdefault("privateEndpoints", {})
    # Kept under the id as spelled too: the same spelling is asked again and again, and
    # the id's normal form (the join's key) costs more than the lookup.
    cached = memo.get(target_id)
    if cached is None:
        key = ids.norm(target_id)
        cached = memo.get(key)
        if cached is None:
            if row is None:
                row = inventory.get(target_id)
            cached = memo[key] = _join_private_endpoints(inventory, row, target_id)
        memo[target_id] = cached
    return cached


def endpoints_in_vnet(
    inventory: Inventory, target_id: str, vnet: str, row: Row | None = None
) -> list[Any]:
    """The endpoints of ``target_id`` in virtual network ``vnet``: one lookup, however many
    instances share the target (grouped by VNet once per resource and scan)."""
    memo = inventory.memo.setdefault("privateEndpointsByVnet", {})
    key = ids.norm(target_id)
    groups = memo.get(key)
    if groups is None:
        groups = memo[key] = {}
        for item in endpoints_of(inventory, target_id, row):
            if item["vnetId"] is not MISSING:
                groups.setdefault(ids.norm(item["vnetId"]), []).append(item)
            elif item["found"]:
                unread_subnet(inventory, key, item["id"])
    return groups.get(ids.norm(vnet), [])


def unread_subnet(inventory: Inventory, target_key: str, pe_id: str) -> None:
    """Remember why a found endpoint of ``target_key`` is in no VNet (its subnet is unknown
    before deployment, absent or malformed), the first such per target."""
    pe = inventory.get(pe_id)
    if pe is None:
        return
    try:
        endpoint_subnet(pe)
    except UnknownValue as problem:
        inventory.memo.setdefault("unreadSubnets", {}).setdefault(target_key, problem)


def _joint_status(target_side: Any, endpoint_side: Any) -> Any:
    """One connection seen from both sides: the target's state, unless the target says
    Approved and the endpoint says otherwise (Rejected, Pending, Disconnected): then the
    endpoint's. Two sides that disagree are not an approved connection."""
    if (
        str(target_side).lower() == "approved"
        and isinstance(endpoint_side, str)
        and endpoint_side
        and endpoint_side.lower() != "approved"
    ):
        return endpoint_side
    return target_side


def _join_private_endpoints(inventory: Inventory, row: Row | None, target_id: str) -> list[Any]:
    items: dict[str, dict[str, Any]] = {}  # in the order first seen
    norm = ids.norm
    for pe, conn in inventory.endpoints_by_target.get(norm(target_id), ()):
        key = norm(pe["id"])
        if key not in items:
            items[key] = _endpoint_item(inventory, pe, conn, key)
    for conn, status in connection_states(row) if row else ():
        cprops = _props(conn)
        pe_id = _at(_dict(_at(cprops, "privateEndpoint")), "id")
        if not isinstance(pe_id, str) or not pe_id:
            continue
        key = norm(pe_id)
        if key in items:
            items[key]["status"] = _joint_status(status, items[key]["status"])
            continue
        items[key] = {
            "id": pe_id,
            "name": str(pe_id).rsplit("/", 1)[-1],
            "found": False,
            "groupIds": [],
            "status": status,
            "subnetId": MISSING,
            "vnetId": MISSING,
            "zoneIds": [],
            "zones": [],
        }
    return list(items.values())


def _target_view(ctx: EvalContext, resource_id: str, role: str | None = None) -> dict[str, Any]:
    # Three rules view each linked resource of every instance (104, 106, 108), and a shared one
    # is linked from many instances: the view depends on the id and role alone, so make it once.
    memo = ctx.inventory.memo.setdefault("targetView", {})
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
    nicplaces.check(ctx.inventory, vnet_id)  # a NIC whose subnet cannot be read: error
    out = []
    for nic in ctx.inventory.nics_by_vnet.get(key, []):
        public = []
        for cfg in _list(get_key(_props(nic), "ipConfigurations")):
            cprops = _props(cfg)
            subnet = get_key(_dict(get_key(cprops, "subnet")), "id")
            if not isinstance(subnet, str) or ids.norm(ids.vnet_of_subnet(subnet)) != key:
                continue
            pip = _public_ip(nic, cprops)
            if pip is not None:
                public.append(pip)
        out.append({"id": nic["id"], "name": nic.get("name"), "publicIpAddressIds": public})
    return out
