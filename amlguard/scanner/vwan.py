"""Which VNets reach each other through Azure Virtual WAN hubs (AMLG-301 case b).

A spoke connected to a Virtual WAN hub (``microsoft.network/virtualhubs/hubvirtualnetworkconnections``,
``properties.remoteVirtualNetwork.id``) reaches every VNet connected to the same hub and, in a
``Standard`` virtual WAN, every VNet connected to another hub of the same WAN (hub-to-hub
transit; a ``Basic`` WAN has none). A connection counts once provisioned: its
``provisioningState`` is ``Succeeded`` (or absent, as in rows written by hand). Shapes: the
network resource-manager spec ``virtualWan.json`` (2024-05-01): ``HubVirtualNetworkConnection``
has no connection-state property of its own, ``VirtualHub.properties.virtualWan.id`` names the
WAN, ``VirtualWAN.properties.type`` is ``Basic`` or ``Standard``.

Route tables decide which connected VNets have routes to each other (:mod:`vwanroutes`,
redteam9 item 11): VNet A reaches VNet B only when B's connection propagates to the route table
A's connection is associated with. Routing intent (private traffic through the hub's firewall)
is not modelled: a connection that propagates to ``noneRouteTable`` only is ``error``; like NSGs
and user-defined routes on a peering, a firewall can still block a path this module reports.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from amlguard.scanner import hopstate, ids, shapes, vwanroutes
from amlguard.scanner.context import Undeterminable
from amlguard.scanner.inventory import Inventory
from amlguard.scanner.paths import MISSING
from amlguard.textsafe import visible

VIRTUAL_HUB = "microsoft.network/virtualhubs"
VIRTUAL_WAN = "microsoft.network/virtualwans"
HUB_CONNECTION = "microsoft.network/virtualhubs/hubvirtualnetworkconnections"
#: the segment under a hub that lists its VNet connections (ARM only: not in Resource Graph)
HUB_CONNECTIONS_SEGMENT = "hubVirtualNetworkConnections"


def _props(row: Any) -> dict[str, Any]:
    value = row.get("properties") if isinstance(row, dict) else None
    return value if isinstance(value, dict) else {}


def _id_at(value: Any, *names: str) -> str:
    for name in names:
        value = value.get(name) if isinstance(value, dict) else None
    return value.strip() if isinstance(value, str) else ""


def connected(row: Any) -> bool:
    """Whether a hub VNet connection is provisioned (``Succeeded``, or no state given)."""
    state = _props(row).get("provisioningState")
    return state is None or str(state).strip().lower() == "succeeded"


def connection_vnet(row: Any) -> str:
    """The VNet a hub VNet connection connects ('' when it names none)."""
    return _id_at(_props(row), "remoteVirtualNetwork", "id")


def connection_hub(row: Any) -> str:
    """The hub a hub VNet connection belongs to (its parent, from the id)."""
    rid = row.get("id") if isinstance(row, dict) else None
    return ids.parent_of_child(str(rid or ""), HUB_CONNECTIONS_SEGMENT)


def hub_wan(row: Any) -> str:
    """The virtual WAN a hub belongs to ('' when it names none)."""
    return _id_at(_props(row), "virtualWan", "id")


#: ``VirtualWAN.properties.type``, lower-cased -> whether its hubs pass traffic to each other
WAN_TYPES = {"standard": True, "basic": False}


def wan_transits(row: Any) -> bool:
    """Whether hubs of this WAN pass traffic between each other: ``Standard`` (or absent, the
    API's default for new WANs) yes, ``Basic`` no (any case, trimmed). Anything else (null, a
    list, an object, a number, ``""``, another word, ``properties`` that is not an object) is read
    strictly: it cannot be judged, never "Standard" (:class:`~amlguard.scanner.shapes.
    MalformedValue`; an unknown before deployment raises ``UnknownAt``)."""
    at = shapes.Where(row.get("id", "?") if isinstance(row, dict) else "?", "properties")
    props = shapes.obj(shapes.member(row if isinstance(row, dict) else None, "properties"), at)
    kind = shapes.member(props, "type")
    if kind is MISSING:
        return True
    # null is not absent here: ARM always writes the type, and a null one names no WAN type
    found = shapes.text(kind, at / "type") if kind is not None else None
    transits = WAN_TYPES.get((found or "").strip().lower())
    if transits is None:
        raise shapes.MalformedValue(
            f"{visible(str(at / 'type'))} is "
            f"{'null' if kind is None else shapes.describe(kind)}, expected Basic or "
            "Standard: whether its hubs pass traffic to each other cannot be judged"
        )
    return transits


@dataclass
class _Index:
    """VNet -> hubs it is connected to (provisioned connections only); hub -> WAN."""

    hubs_of: dict[str, list[str]] = field(default_factory=dict)
    wan_of: dict[str, str] = field(default_factory=dict)
    #: VNet -> its provisioned hub connections (rows), in the order of ``hubs_of``
    conns_of: dict[str, list[Any]] = field(default_factory=dict)


def _index(inv: Inventory) -> _Index:
    memo = inv.memo.get("virtualWan")
    if memo is None:
        memo = inv.memo["virtualWan"] = {}
    found = memo.get("index")
    if found is None:
        found = memo["index"] = _build(inv)
    return found


def _build(inv: Inventory) -> _Index:
    idx = _Index()
    for row in inv.of_type(HUB_CONNECTION):
        vnet, parent = connection_vnet(row), connection_hub(row)
        if vnet and parent and connected(row):
            idx.hubs_of.setdefault(ids.norm(vnet), []).append(parent)
            idx.conns_of.setdefault(ids.norm(vnet), []).append(row)
    for hub_row in inv.of_type(VIRTUAL_HUB):
        wan = hub_wan(hub_row)
        if wan:
            idx.wan_of[ids.norm(hub_row["id"])] = wan
    return idx


def route(inv: Inventory, source: str, target: str) -> str | None:
    """How VNet ``source`` reaches VNet ``target`` through Virtual WAN hubs, in words (None when
    it does not): the same hub, or hubs of one Standard WAN, **and** ``target``'s connection
    propagating to the route table ``source``'s is associated with. A routing configuration
    that decides and cannot be read is ``Undeterminable``."""
    idx = _index(inv)
    mine = idx.conns_of.get(ids.norm(source), [])
    theirs = idx.conns_of.get(ids.norm(target), [])
    if not mine or not theirs:
        return None
    unread: Undeterminable | None = None
    for how, ca, cb in _joined(inv, idx, mine, theirs):
        try:
            if not _hubs_down(inv, idx, ca, cb) and vwanroutes.routed(inv, ca, cb):
                return how
        except Undeterminable as exc:
            unread = unread or exc
    if unread is not None:
        raise unread
    return None


def _hubs_down(inv: Inventory, idx: _Index, ca: Any, cb: Any) -> str:
    """Why the hubs (and, across hubs, the WAN) joining connections ``ca`` and ``cb`` carry no
    traffic (:mod:`hopstate`: a hub whose ``provisioningState`` or ``routingState`` failed, a
    WAN that failed), in words; '' when they work; ``Undeterminable`` when one is not settled
    (hubs and WANs the scan did not read are judged where they decide, not here)."""
    hubs = dict.fromkeys(ids.norm(connection_hub(c)) for c in (ca, cb))
    hops: list[tuple[Any, hopstate.Kind, str]] = [
        (inv.get(h), hopstate.HUB, "its router carries no traffic between its connections")
        for h in hubs
    ]
    if len(hubs) > 1:
        wan = idx.wan_of.get(next(iter(hubs)), "")
        hops.append((inv.get(wan) if wan else None, hopstate.WAN, "its hubs pass no traffic"))
    return hopstate.raise_or_words(*hopstate.first_problem(hops))


def _joined(inv: Inventory, idx: _Index, mine: list[Any], theirs: list[Any]) -> list[Any]:
    """(words, source connection, target connection) of the connection pairs whose hubs pass
    traffic: the same hub first, then hubs of one Standard WAN (a WAN not read: skipped)."""
    out: list[Any] = []
    for ca in mine:
        hub = connection_hub(ca)
        for cb in theirs:
            if ids.norm(connection_hub(cb)) == ids.norm(hub):
                words = (
                    f"connected, like the solution VNet, to Virtual WAN hub {ids.short_name(hub)}"
                )
                out.append((words, ca, cb))
    for ca in mine:
        hub = connection_hub(ca)
        wan = idx.wan_of.get(ids.norm(hub), "")
        wan_row = inv.get(wan) if wan else None
        if wan_row is None or not wan_transits(wan_row):
            continue  # a WAN not read: its type (Basic has no hub-to-hub) is unknown
        for cb in theirs:
            other = connection_hub(cb)
            if ids.norm(other) == ids.norm(hub):
                continue
            if ids.norm(idx.wan_of.get(ids.norm(other), "")) == ids.norm(wan):
                words = (
                    f"connected to Virtual WAN hub {ids.short_name(other)}, which reaches the "
                    f"solution VNet's hub {ids.short_name(hub)} (virtual WAN "
                    f"{ids.short_name(wan)}, hub-to-hub)"
                )
                out.append((words, ca, cb))
    return out


def routed_via(inv: Inventory, source: str, target: str, hub: str) -> bool:
    """Whether a connection of VNet ``source`` to ``hub`` has a route to a connection of VNet
    ``target`` (its hubs' reach decided by the caller); ``Undeterminable`` when what decides
    cannot be read and no pair is routed."""
    idx = _index(inv)
    mine = [
        c
        for c in idx.conns_of.get(ids.norm(source), [])
        if ids.norm(connection_hub(c)) == ids.norm(hub)
    ]
    unread: Undeterminable | None = None
    for ca in mine:
        for cb in idx.conns_of.get(ids.norm(target), []):
            try:
                if not _hubs_down(inv, idx, ca, cb) and vwanroutes.routed(inv, ca, cb):
                    return True
            except Undeterminable as exc:
                unread = unread or exc
    if unread is not None:
        raise unread
    return False


def unrouted(inv: Inventory, source: str, target: str) -> str:
    """Why VNets ``source`` and ``target``, connected to hubs that pass traffic, have no route
    from the first to the second (route tables), in words; '' otherwise."""
    idx = _index(inv)
    mine = idx.conns_of.get(ids.norm(source), [])
    theirs = idx.conns_of.get(ids.norm(target), [])
    for _how, ca, cb in _joined(inv, idx, mine, theirs):
        try:
            words = _hubs_down(inv, idx, ca, cb) or vwanroutes.unrouted_words(ca, cb)
        except Undeterminable:
            words = ""
        if words:
            return words
    return ""


def basic_between(inv: Inventory, source: str, target: str) -> str:
    """Why VNets ``source`` and ``target``, connected to different hubs of one virtual WAN, do
    not reach each other when that WAN is ``Basic`` (no hub-to-hub transit), in words; ''
    otherwise."""
    idx = _index(inv)
    theirs = {ids.norm(h): h for h in idx.hubs_of.get(ids.norm(target), [])}
    for hub in idx.hubs_of.get(ids.norm(source), []):
        wan = idx.wan_of.get(ids.norm(hub), "")
        wan_row = inv.get(wan) if wan else None
        if wan_row is None or wan_transits(wan_row):
            continue
        for key, other in theirs.items():
            if ids.norm(idx.wan_of.get(key, "")) == ids.norm(wan):
                return (
                    f"virtual WAN {ids.short_name(wan)} is Basic: its hubs "
                    f"{ids.short_name(hub)} and {ids.short_name(other)} do not pass traffic "
                    "to each other (hub-to-hub transit needs Standard)"
                )
    return ""


def reachable(inv: Inventory, source: str) -> list[str]:
    """Every VNet ``source`` reaches through Virtual WAN hubs (ids as the connections spell
    them; once each)."""
    idx = _index(inv)
    if ids.norm(source) not in idx.hubs_of:
        return []
    out: dict[str, str] = {}
    for row in inv.of_type(HUB_CONNECTION):
        vnet = connection_vnet(row)
        key = ids.norm(vnet)
        if vnet and key != ids.norm(source) and key not in out and _may_route(inv, source, vnet):
            out[key] = vnet
    return list(out.values())


def _may_route(inv: Inventory, source: str, target: str) -> bool:
    """Whether ``source`` reaches ``target`` through Virtual WAN, or may (unreadable routing)."""
    try:
        return route(inv, source, target) is not None
    except Undeterminable:
        return True


#: the peering Azure creates on a VNet connected to a Virtual WAN hub (to the hub's managed
#: VNet ``HV_<hub>_<guid>`` in a Microsoft subscription): ``RemoteVnetToHubPeering_<guid>``
HUB_PEERING_PREFIX = "remotevnettohubpeering"


def hub_peering(vnet: Any) -> str:
    """The name of ``vnet``'s Virtual WAN hub peering ('' when it has none: it is connected to
    no Virtual WAN hub)."""
    peerings = _props(vnet).get("virtualNetworkPeerings")
    for peering in peerings if isinstance(peerings, list) else []:
        name = peering.get("name") if isinstance(peering, dict) else None
        if isinstance(name, str) and name.strip().lower().startswith(HUB_PEERING_PREFIX):
            return name.strip()
    return ""


def unread_hub_peering(inv: Inventory, vnet: Any) -> str:
    """The name of ``vnet``'s Virtual WAN hub peering when no hub VNet connection of ``vnet``
    was read (the hub is outside the scan or unreadable); '' otherwise."""
    name = hub_peering(vnet)
    if name:
        key = ids.norm(str(vnet.get("id") or ""))
        if not any(ids.norm(connection_vnet(c)) == key for c in inv.of_type(HUB_CONNECTION)):
            return name
    return ""


def unread_wan(inv: Inventory, source: str, target: str) -> str:
    """The virtual WAN whose row was not read when ``source`` and ``target`` are connected to
    different hubs of it (whether hubs pass traffic depends on its type); '' otherwise."""
    idx = _index(inv)
    theirs = {
        ids.norm(idx.wan_of.get(ids.norm(h), "")) for h in idx.hubs_of.get(ids.norm(target), [])
    }
    for hub in idx.hubs_of.get(ids.norm(source), []):
        wan = idx.wan_of.get(ids.norm(hub), "")
        if wan and ids.norm(wan) in theirs and inv.get(wan) is None:
            return wan
    return ""


def require_read(inv: Inventory, vnet: Any, ip: str, target: str = "", where: str = "") -> None:
    """``error`` (Undeterminable) when whether ``vnet`` reaches DNS server ``ip`` (in VNet
    ``target``, described by ``where``) through Virtual WAN depends on what the scan did not
    read: the hub connections of a hub ``vnet`` is peered to, or the WAN of two hubs."""
    peering = unread_hub_peering(inv, vnet)
    if peering:
        raise Undeterminable(
            f"custom DNS server {ip}: the solution VNet is connected to a Virtual WAN hub "
            f"(peering {peering}) whose VNet connections are not in the scanned inventory "
            "(outside the scan scope or unreadable): which VNets it reaches cannot be read"
        )
    source = str(vnet.get("id") or "") if isinstance(vnet, dict) else ""
    wan = unread_wan(inv, source, target) if target and source else ""
    if wan:
        raise Undeterminable(
            f"{where}: the solution VNet and that VNet are connected to hubs of virtual WAN "
            f"{wan}, which is not in the scanned inventory: whether its hubs pass traffic "
            "(Standard) cannot be read"
        )


def related(inv: Inventory, source: str) -> list[str]:
    """Every VNet connected (in any state) to a hub of a virtual WAN that ``source`` is
    connected to: what a judgement of ``source`` may name, reachable or not (a live scan reads
    these so that it says why one does not reach, as a snapshot of everything would)."""
    conns = inv.of_type(HUB_CONNECTION)
    hubs = {
        ids.norm(connection_hub(c))
        for c in conns
        if ids.norm(connection_vnet(c)) == ids.norm(source)
    }
    if not hubs:
        return []
    wan_of = {ids.norm(h["id"]): ids.norm(hub_wan(h)) for h in inv.of_type(VIRTUAL_HUB)}
    wans = {wan_of.get(h, "") for h in hubs} - {""}
    out: dict[str, str] = {}
    for conn in conns:
        hub, vnet = ids.norm(connection_hub(conn)), connection_vnet(conn)
        if vnet and ids.norm(vnet) != ids.norm(source) and (hub in hubs or wan_of.get(hub) in wans):
            out.setdefault(ids.norm(vnet), vnet)
    return list(out.values())


__all__ = [
    "HUB_CONNECTION",
    "HUB_CONNECTIONS_SEGMENT",
    "VIRTUAL_HUB",
    "VIRTUAL_WAN",
    "basic_between",
    "connected",
    "connection_hub",
    "connection_vnet",
    "hub_peering",
    "hub_wan",
    "reachable",
    "related",
    "require_read",
    "route",
    "routed_via",
    "unread_hub_peering",
    "unread_wan",
    "unrouted",
    "wan_transits",
]
