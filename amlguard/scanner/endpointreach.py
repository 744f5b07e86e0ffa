"""Private endpoints a VNet reaches (AMLG-250, redteam8 item 8).

Azure Monitor's guidance puts a hub-and-spoke estate's single Azure Monitor private link scope
(AMPLS) endpoint in the hub VNet, not in every spoke. So an endpoint counts for a solution VNet S
when it sits in a VNet S reaches as AMLG-301 judges a DNS server's VNet
(:func:`amlguard.scanner.dns.vnet_reach`): S itself, a ``Connected`` peering of S whose
``allowVirtualNetworkAccess`` is not false (:mod:`peerings`), or Virtual WAN hubs. An endpoint in a VNet S does not reach is no private path (redteam7 item 6).

What decides the reach and was not read is never "not reached": an endpoint the target lists
that the scan does not hold, an endpoint whose subnet cannot be read, S itself missing from the
inventory, a peering of S whose remote VNet or state cannot be read, S's Virtual WAN hub
connections or the WAN of two hubs unread. When no endpoint is reached and one of those may be,
the source raises it (the finding is ``error``, exit 3).
"""

from __future__ import annotations

from typing import Any

from amlguard.scanner import dns, ids, shapes, vwan
from amlguard.scanner.conditions import related_source
from amlguard.scanner.context import EvalContext, Undeterminable
from amlguard.scanner.inventory import Inventory
from amlguard.scanner.paths import MISSING
from amlguard.scanner.primitives import private_endpoints
from amlguard.scanner.solution import endpoint_subnet
from amlguard.scanner.unknown import Unknown, UnknownValue
from amlguard.textsafe import visible

#: what an endpoint in the solution VNet itself reaches it by, in words
ITSELF = "the solution VNet itself"


@related_source("reachablePrivateEndpoints")
def reachable_private_endpoints(
    ctx: EvalContext, target: Any = None, vnet: Any = None
) -> list[Any]:
    """The private endpoints of a resource (default: the judged one) in a VNet that VNet
    ``vnet`` reaches: itself, a Connected peering, Virtual WAN hubs (none when ``vnet`` is
    absent); each item as ``privateEndpoints`` gives it, plus ``reach`` (how, in words)."""
    if type(vnet) is Unknown:
        raise UnknownValue(vnet)
    if vnet is MISSING or vnet is None or not isinstance(vnet, str) or not vnet:
        return []
    found: list[Any] = []
    unread: list[Undeterminable] = []
    for item in private_endpoints(ctx, target):
        words, problem = _reach(ctx, vnet, item)
        if words:
            found.append({**item, "reach": words})
        elif problem is not None:
            unread.append(problem)
    if not found and unread:
        # an endpoint whose place cannot be read may be the one that reaches: not "none"
        raise unread[0]
    return found


def _reach(ctx: EvalContext, vnet: str, item: dict[str, Any]) -> tuple[str, Undeterminable | None]:
    """How ``vnet`` reaches the endpoint ``item`` ('' when it does not), or why that cannot
    be read."""
    name = ids.short_name(str(item.get("id") or ""))
    if not item.get("found"):
        return "", Undeterminable(
            f"private endpoint {name} is not in the scanned inventory (outside the scan scope or "
            "unreadable): which VNet it sits in, and whether the solution VNet reaches it, "
            "cannot be read"
        )
    where = item.get("vnetId")
    if type(where) is Unknown:  # templates: a subnet known only after deployment
        return "", UnknownValue(where)
    if where is MISSING or not isinstance(where, str) or not where:
        row = ctx.inventory.get(str(item.get("id")))
        try:
            endpoint_subnet(row or {})
        except UnknownValue as problem:
            return "", problem
        return "", None
    if ids.norm(where) == ids.norm(vnet):
        return ITSELF, None
    try:  # a peering whose allowVirtualNetworkAccess cannot be read: not "not reached"
        words = dns.vnet_reach(ctx, vnet, where)
    except Undeterminable as problem:
        return "", problem
    if words:
        return words, None
    return "", unread_reach(ctx.inventory, vnet, where, name)


def unread_reach(inv: Inventory, source: str, target: str, endpoint: str) -> Undeterminable | None:
    """Why whether VNet ``source`` reaches VNet ``target`` (where ``endpoint`` sits) depends on
    what the scan did not read (None when everything that decides it was read)."""
    about = f"whether it reaches VNet {ids.short_name(target)} (private endpoint {endpoint})"
    row = inv.get(source)
    if row is None:
        return Undeterminable(
            f"the solution VNet {source} is not in the scanned inventory (outside the scan "
            f"scope or unreadable): {about} cannot be read"
        )
    at = shapes.Where(f"virtual network {ids.short_name(source)}", "properties")
    try:
        props = shapes.obj(shapes.member(row, "properties"), at) or {}
        at = at / "virtualNetworkPeerings"
        peerings = shapes.items(shapes.member(props, "virtualNetworkPeerings"), at) or []
        for index, peering in enumerate(peerings):
            _peering_read(peering, at / index, target)
    except UnknownValue as problem:
        return problem
    hub = vwan.unread_hub_peering(inv, row)
    if hub:
        return Undeterminable(
            f"the solution VNet is connected to a Virtual WAN hub (peering {hub}) whose VNet "
            f"connections are not in the scanned inventory (outside the scan scope or "
            f"unreadable): {about} cannot be read"
        )
    wan = vwan.unread_wan(inv, source, target)
    if wan:
        return Undeterminable(
            f"the solution VNet and VNet {ids.short_name(target)} (private endpoint {endpoint}) "
            f"are connected to hubs of virtual WAN {wan}, which is not in the scanned inventory: "
            "whether its hubs pass traffic (Standard) cannot be read"
        )
    return None


def _peering_read(peering: Any, at: shapes.Where, target: str) -> None:
    """Raise when peering ``peering`` may join ``target`` but its remote VNet or its state
    cannot be read (a peering to another VNet, or in a state read as not Connected, is fine)."""
    props = shapes.obj(shapes.member(shapes.obj(peering, at), "properties"), at / "properties")
    if peering is None or props is None:
        raise shapes.MalformedValue(
            f"{visible(str(at))} has no properties: where it leads cannot be read"
        )
    at = at / "properties"
    remote = shapes.obj(shapes.member(props, "remoteVirtualNetwork"), at / "remoteVirtualNetwork")
    rid = shapes.text(shapes.member(remote, "id"), at / "remoteVirtualNetwork" / "id")
    if not rid:
        raise shapes.MalformedValue(
            f"{visible(str(at))} names no remote VNet: where it leads cannot be read"
        )
    if ids.norm(rid) != ids.norm(target):
        return
    state = shapes.text(shapes.member(props, "peeringState"), at / "peeringState")
    if not state or not state.strip():
        raise shapes.MalformedValue(
            f"{visible(str(at))}, to VNet {ids.short_name(target)}, has no peeringState: whether it is "
            "Connected cannot be read"
        )
