"""The private endpoints of a resource, joined from both sides once per resource and scan
(the ``privateEndpoints`` related source, :mod:`amlguard.scanner.primitives`, the DNS zones of
an instance, :mod:`amlguard.scanner.targets`, and the diagrams read them).

An item is the endpoint as a rule sees it: id, name, whether the inventory has it, its group
ids, the connection's status (both sides joined), its subnet and VNet, and its DNS zones (ids
and names). The endpoints of one VNet share their subnet, and an instance's endpoints share its
zones: those readings are kept per inventory (``memo["endpointJoin"]``), not redone per item.
"""

from __future__ import annotations

from typing import Any

from amlguard.scanner import ids, provisioning, zonegroups
from amlguard.scanner.inventory import Inventory, Row
from amlguard.scanner.paths import MISSING, get_key
from amlguard.scanner.rowshape import as_dict as _dict
from amlguard.scanner.rowshape import as_list as _list
from amlguard.scanner.rowshape import props as _props
from amlguard.scanner.solution import endpoint_subnet
from amlguard.scanner.unknown import Unknown, UnknownValue
from amlguard.scanner.workspace_sources import connection_states
from amlguard.textsafe import visible

__all__ = ["endpoints_in_vnet", "endpoints_of", "unread_subnet"]


def _at(obj: dict[str, Any], key: str) -> Any:
    """``get_key(obj, key)`` for a dict: its exact-spelling hit without the call."""
    value = obj.get(key, MISSING)
    return get_key(obj, key) if value is MISSING else value


class _Readings:
    """What items of one scan share: a subnet's VNet id, a zone id's name (plain ``str``
    keys only: an :class:`~amlguard.scanner.unknown.Unknown` is read each time)."""

    __slots__ = ("names", "vnets")

    def __init__(self) -> None:
        self.vnets: dict[str, str] = {}
        self.names: dict[str, str] = {}


def _readings(inventory: Inventory) -> _Readings:
    memo = inventory.memo.get("endpointJoin")
    if memo is None:
        memo = inventory.memo["endpointJoin"] = {}
    found = memo.get("")
    if found is None:
        found = memo[""] = _Readings()
    return found


def _zone_ids(
    inventory: Inventory, endpoint_key: str, marks: dict[int, Any] | None = None
) -> list[str]:
    """The private DNS zone ids of an endpoint's zone groups (``endpoint_key``: its
    ``ids.norm`` id); ``marks`` gets, by position, what the zone's name reads as when its zone
    group failed or is not settled (:mod:`zonegroups`)."""
    out: list[str] = []
    for group in inventory.zone_groups_by_endpoint.get(endpoint_key, ()):
        props = group.get("properties")  # _props(group) without the call when it is a dict
        configs = _at(props if type(props) is dict else _props(group), "privateDnsZoneConfigs")
        works = marks is None or zonegroups.state(group)[0] == zonegroups.IN_PLACE
        for cfg in configs if isinstance(configs, list) else ():
            props = cfg.get("properties") if type(cfg) is dict else None
            zone = _at(props if type(props) is dict else _props(cfg), "privateDnsZoneId")
            if isinstance(zone, str) and zone:
                if not works and marks is not None:  # its records are not in the zone
                    marks[len(out)] = zonegroups.unregistered(group, _zone_name(zone))
                out.append(zone)  # an Unknown (templates) stays one: a condition reading it errs
    return out


def _zone_name(zone_id: str) -> str:
    """A zone's name from its id; a zone id unknown before deployment has an unknown name."""
    if type(zone_id) is Unknown:
        return zone_id
    return zone_id.rstrip("/").rsplit("/", 1)[-1].lower()


def _endpoint_item(
    inventory: Inventory, pe: Row, conn: Row, key: str, seen: _Readings
) -> dict[str, Any]:
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
            vnet = seen.vnets.get(subnet)
            if vnet is None:
                vnet = seen.vnets[subnet] = ids.vnet_of_subnet(subnet)
            marks: dict[int, Any] = {}
            zone_ids = _zone_ids(inventory, key, marks)
            names = seen.names
            zones = []
            for zone in zone_ids:
                name = names.get(zone) if type(zone) is str else None
                if name is None:
                    name = _zone_name(zone)
                    if type(zone) is str:
                        names[zone] = name
                zones.append(name)
            for position, shown in marks.items():  # a zone group that failed: not registered
                zones[position] = shown
            return {
                "id": pe["id"],
                "name": pe.get("name"),
                "found": True,
                "groupIds": groups,
                "status": state,
                "subnetId": subnet,
                "vnetId": vnet or MISSING,
                "zoneIds": zone_ids,
                "zones": zones,
            }
    return _endpoint_item_read(inventory, pe, conn, key)


def _endpoint_item_read(inventory: Inventory, pe: Row, conn: Row, key: str) -> dict[str, Any]:
    """:func:`_endpoint_item`, any spelling and shape."""
    props = _props(pe)
    subnet = str(_at(_dict(_at(props, "subnet")), "id") or "")
    cprops = _props(conn)
    state = _at(_dict(_at(cprops, "privateLinkServiceConnectionState")), "status")
    marks: dict[int, Any] = {}
    zone_ids = _zone_ids(inventory, key, marks)
    zones = [marks.get(i, _zone_name(z)) for i, z in enumerate(zone_ids)]
    return {
        "id": pe["id"],
        "name": pe.get("name"),
        "found": True,
        "groupIds": _list(_at(cprops, "groupIds")),
        "status": None if state is MISSING else state,
        "subnetId": subnet or MISSING,
        "vnetId": ids.vnet_of_subnet(subnet) or MISSING,
        "zoneIds": zone_ids,
        "zones": zones,
    }


def endpoints_of(inventory: Inventory, target_id: str, row: Row | None = None) -> list[Any]:
    """:func:`private_endpoints` of ``target_id``, joined once per resource and scan.

    Several rules ask for the same resource's endpoints (109, 202 twice, 240...), and a shared
    resource is asked once per instance; the answer depends only on the inventory.
    """
    memo = inventory.memo.get("privateEndpoints")
    if memo is None:
        memo = inventory.memo["privateEndpoints"] = {}
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
    memo = inventory.memo.get("privateEndpointsByVnet")
    if memo is None:
        memo = inventory.memo["privateEndpointsByVnet"] = {}
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
    seen = _readings(inventory)
    unsettled: list[tuple[str, Row]] = []  # endpoints whose provisioning did not succeed
    for pe, conn in inventory.endpoints_by_target.get(norm(target_id), ()):
        key = norm(pe["id"])
        if key not in items:
            items[key] = _endpoint_item(inventory, pe, conn, key, seen)
            props = pe.get("properties")
            state = props.get("provisioningState") if type(props) is dict else MISSING
            if state is not None and state != "Succeeded":  # ARM's spelling, at dict speed
                unsettled.append((key, pe))
    for conn, status in connection_states(row) if row else ():
        # the endpoint's id as ARM spells it at dict speed; anything else read in any spelling
        body = conn.get("properties") if type(conn) is dict else None
        side = body.get("privateEndpoint") if type(body) is dict else None
        pe_id = side.get("id") if type(side) is dict else None
        if type(pe_id) is not str:
            pe_id = _at(_dict(_at(_props(conn), "privateEndpoint")), "id")
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
    for key, pe in unsettled:  # after the join: no connection state outweighs it
        _provisioned(items[key], pe)
    return list(items.values())


def _provisioned(item: dict[str, Any], pe: Row) -> None:
    """An endpoint whose provisioning failed is no private path, whatever its connection
    says: its status reads ``not provisioned (...)``, which no rule counts as Approved. One
    still provisioning (or with a state that cannot be read) cannot be judged: its status is
    a value a condition reading it turns into ``error`` (:mod:`provisioning`)."""
    verdict, words = provisioning.state(pe)
    if verdict == provisioning.FAILED:
        item["status"] = f"not provisioned ({words})"
    elif verdict == provisioning.UNSETTLED:
        name = ids.short_name(str(pe.get("id") or ""))
        item["status"] = Unknown(
            f"{pe.get('id')}:properties.provisioningState",
            said=f"private endpoint {visible(name)} is {words}: whether it is a private path "
            "cannot be read until it settles (rescan later)",
        )
