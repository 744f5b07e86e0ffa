"""Whether the servers an Azure Firewall DNS proxy forwards to get its queries (AMLG-301,
redteam8 items 1, 6 and 7).

A DNS proxy sends the queries it forwards from where the firewall sits: a firewall in a VNet from
that VNet, a firewall in a secured Virtual WAN hub (sku ``AZFW_Hub``) from its hub. So a server it
forwards to resolves a zone only when it answers from a VNet linked to the zone **and** the
firewall reaches that VNet: the firewall's own VNet, a ``Connected`` peering of it, or Virtual WAN
(connected to the same hub, or to hubs of one Standard virtual WAN). A forwarding ruleset's query
leaves through its outbound endpoint the same way: a rule's target must also be reached from the
VNet of every outbound endpoint of the ruleset (:func:`rule_target`); the solution VNet need
not reach it.

Azure-provided DNS (168.63.129.16) named as a server answers with the zones linked to the
firewall's own VNet, as an empty server list does; from a virtual hub, which no private DNS zone
can be linked to, it resolves none. What the scan did not read (the firewall's VNet, a hub or its
VNet connections, a virtual WAN whose type decides hub-to-hub transit) is an ``error`` naming it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from amlguard.excerpt import quoted
from amlguard.scanner import dnscandidates, ids, peerings, vwan
from amlguard.scanner.context import Undeterminable
from amlguard.scanner.dnsindex import AZURE_DNS, Index, _dict, _list, _props, _text, canonical_ip
from amlguard.scanner.inventory import Inventory
from amlguard.scanner.paths import get_key


class Judge(Protocol):
    """What of :class:`amlguard.scanner.dns._Judge` the judgements here use."""

    inv: Inventory
    idx: Index
    vnet: Any
    vnet_id: str

    def linked(self, vnet: str) -> bool: ...

    def options(self, ip: str) -> list[tuple[str, str]]: ...

    def forwarded(self, ip: str) -> tuple[bool, str]: ...

    def alone(self, ip: str, candidate: Any, reach: bool) -> tuple[bool, str]: ...


@dataclass
class _Hubs:
    """VNet -> the hubs it is connected to (provisioned connections), hub -> its WAN."""

    hubs_of: dict[str, list[str]] = field(default_factory=dict)
    wan_of: dict[str, str] = field(default_factory=dict)


def _hubs(inv: Inventory) -> _Hubs:
    memo = inv.memo.setdefault("dnsForward", {})
    found = memo.get("hubs")
    if found is None:
        found = memo["hubs"] = _Hubs()
        for row in inv.of_type(vwan.HUB_CONNECTION):
            vnet, hub = vwan.connection_vnet(row), vwan.connection_hub(row)
            if vnet and hub and vwan.connected(row):
                found.hubs_of.setdefault(ids.norm(vnet), []).append(hub)
        for row in inv.of_type(vwan.VIRTUAL_HUB):
            wan = vwan.hub_wan(row)
            if wan:
                found.wan_of[ids.norm(row["id"])] = wan
    return found


def hub_reach(inv: Inventory, hub: str, vnet: str) -> str | None:
    """How virtual hub ``hub`` and VNet ``vnet`` reach each other, in words ("connected to
    Virtual WAN hub H", or through another hub of the same Standard virtual WAN); None when they
    do not. A WAN (or ``hub``) the scan did not read, which decides hub-to-hub transit, is an
    ``Undeterminable`` naming it."""
    known = _hubs(inv)
    theirs = known.hubs_of.get(ids.norm(vnet), [])
    if any(ids.norm(h) == ids.norm(hub) for h in theirs):
        return f"connected to Virtual WAN hub {ids.short_name(hub)}"
    if not theirs:
        unread = vwan.unread_hub_peering(inv, inv.get(vnet) or {})
        if unread:
            raise Undeterminable(
                f"VNet {ids.short_name(vnet)} is connected to a Virtual WAN hub (peering "
                f"{unread}) whose VNet connections are not in the scanned inventory: whether it "
                f"reaches Virtual WAN hub {ids.short_name(hub)} cannot be read"
            )
        return None
    if inv.get(hub) is None:
        raise Undeterminable(
            f"Virtual WAN hub {hub} is not in the scanned inventory (outside the scan scope or "
            f"unreadable): whether it reaches VNet {ids.short_name(vnet)} (connected to hub "
            f"{ids.short_name(theirs[0])}) cannot be read"
        )
    wan = known.wan_of.get(ids.norm(hub), "")
    for other in theirs:
        if not wan or ids.norm(known.wan_of.get(ids.norm(other), "")) != ids.norm(wan):
            continue
        wan_row = inv.get(wan)
        if wan_row is None:
            raise Undeterminable(
                f"virtual WAN {wan} of hubs {ids.short_name(hub)} and {ids.short_name(other)} is "
                "not in the scanned inventory: whether its hubs pass traffic (Standard) cannot "
                "be read"
            )
        if vwan.wan_transits(wan_row):
            return (
                f"connected to Virtual WAN hub {ids.short_name(other)}, which reaches hub "
                f"{ids.short_name(hub)} (virtual WAN {ids.short_name(wan)}, hub-to-hub)"
            )
    return None


def vnet_reach(
    inv: Inventory, source: str, target: str, whose: str = "the firewall's"
) -> str | None:
    """How VNet ``target`` is reached from a firewall's VNet ``source`` (``whose`` VNet, in the
    words), in words (None when it
    is not): the same VNet, a Connected peering, or Virtual WAN hubs. What decides
    it and was not read (``source`` itself, its hub connections, a WAN) is ``Undeterminable``."""
    if ids.norm(source) == ids.norm(target):
        return f"sits in {whose} own VNet"
    row, far = inv.get(source), inv.get(target)
    # the source's leg decides (Connected, allowVirtualNetworkAccess not false); the far
    # side's leg back only where the source has no Connected leg (Azure shows Connected only
    # once both sides are peered)
    if peerings.path(row, far, source, target)[0]:
        return f"peered (Connected) to {whose} VNet"
    if row is None:
        raise Undeterminable(
            f"{whose} VNet {source} is not in the scanned inventory (outside the scan "
            f"scope or unreadable): whether it reaches VNet {ids.short_name(target)} (its "
            "peerings) cannot be read"
        )
    unread = vwan.unread_hub_peering(inv, row)
    if unread:
        raise Undeterminable(
            f"{whose} VNet {ids.short_name(source)} is connected to a Virtual WAN hub "
            f"(peering {unread}) whose VNet connections are not in the scanned inventory: "
            f"whether it reaches VNet {ids.short_name(target)} cannot be read"
        )
    for hub in _hubs(inv).hubs_of.get(ids.norm(source), []):
        how = hub_reach(inv, hub, target)
        # the hubs pass traffic; the route tables must too (vwanroutes)
        if how and vwan.routed_via(inv, source, target, hub):
            return f"reached from {whose} VNet through Virtual WAN ({how})"
    return None


def blocked(inv: Inventory, source: str, target: str) -> str:
    """Why a Connected peering between ``source`` and ``target`` is no path, or why their
    Virtual WAN hubs' route tables give no route, in words for a failure (" (...)"; '' when
    neither, or it cannot be read)."""
    try:
        why = peerings.path(inv.get(source), inv.get(target), source, target)[1]
    except Undeterminable:
        why = ""
    why = why or vwan.unrouted(inv, source, target)
    return f" ({why})" if why else ""


def _where(label: str, ip: str, place: str) -> str:
    shown = label if ip in label else f"{label} ({ip})"
    return f"{shown} in {place}"


def sent_to(judge: Judge, server: str, origin: str, hub: bool) -> tuple[bool, str]:
    """Whether ``server``, which a DNS proxy sitting in ``origin`` (a VNet, or with ``hub`` a
    virtual hub) forwards to, resolves the zone, and how (or why not)."""
    name = ids.short_name(origin)
    if server == AZURE_DNS:
        if hub:
            return False, (
                f"Azure-provided DNS {server} from Virtual WAN hub {name}, which no private DNS "
                "zone can be linked to"
            )
        if judge.linked(origin):
            return (
                True,
                f"Azure-provided DNS {server} from VNet {name}, which is linked to the zone",
            )
        return False, f"Azure-provided DNS {server} from VNet {name}: the zone is not linked to it"
    options = judge.options(server)
    if not options:
        return judge.forwarded(server)  # not attributable (or a policy not read): as a ruleset's
    unread: Undeterminable | None = None
    for label, vnet in options:
        if not judge.linked(vnet):
            continue
        try:
            how = hub_reach(judge.inv, origin, vnet) if hub else vnet_reach(judge.inv, origin, vnet)
        except Undeterminable as exc:
            unread = unread or exc
            continue
        if how:
            return (
                True,
                f"{_where(label, server, 'VNet ' + ids.short_name(vnet))}, which is linked to the zone and {how}",
            )
    if unread is not None:
        raise unread
    label, vnet = options[0]
    shown = _where(label, server, "VNet " + ids.short_name(vnet))
    if not judge.linked(vnet):
        return False, f"{shown}: the zone is not linked to that VNet"
    if hub:
        return False, (
            f"{shown}, which is not connected to the firewall's Virtual WAN hub {name} (nor to "
            "a hub of its Standard virtual WAN)"
        )
    return False, (
        f"{shown}, which the firewall's VNet {name} is not peered to (peering Connected) and "
        "does not reach through a Virtual WAN hub" + blocked(judge.inv, origin, vnet)
    )


def judged(judge: Judge, sent: list[str], origin: str, hub: bool) -> list[tuple[str, bool, str]]:
    """Per server a proxy in ``origin`` forwards to: (the server as shown, whether it resolves
    the zone, how or why not); a proxy behind the proxy is not followed."""
    out = []
    for written in sent:
        server = canonical_ip(written)
        if not server:  # text from the policy: shown bounded and escaped
            shown = quoted(written)
            out.append((shown, False, f"{shown} is not an IP address"))
        elif (server in judge.idx.proxies or server in judge.idx.hub_proxies) and not (
            judge.options(server)
        ):  # a resolver on the same IP (an unpeered clone's proxy beside it) is judged
            out.append((server, False, f"{server} is another firewall DNS proxy (not followed)"))
        else:
            out.append((server, *sent_to(judge, server, origin, hub)))
    return out


def verdict(where: str, judgements: list[tuple[str, bool, str]]) -> tuple[bool, str]:
    """A proxy's verdict from its servers' (all must resolve the zone), in words."""
    bad = [(s, why) for s, ok, why in judgements if not ok]
    if not bad:
        return True, f"through {where}, which forwards to " + "; ".join(
            how for _s, _ok, how in judgements
        )
    details = "; ".join(why for _s, why in bad)
    return False, (
        f"{where} forwards to {', '.join(s for s, _why in bad)}, which does not resolve the "
        f"zone ({details})"
    )


def hub_proxy(
    judge: Judge, ip: str, reach: bool, entry: tuple[str, str, list[str], str]
) -> tuple[bool, str]:
    """Whether DNS proxy firewall ``entry`` (of ``idx.hub_proxies[ip]``) in a secured Virtual
    WAN hub resolves the zone: S reaches its hub (``reach``: it is S's DNS server), and every
    server it forwards to resolves the zone and is reached from the hub; with no server it asks
    Azure-provided DNS from the hub, which no zone can be linked to."""
    label, hub, sent, problem = entry
    where = _where(label, ip, f"Virtual WAN hub {ids.short_name(hub)}")
    if problem:
        raise Undeterminable(problem)
    if reach:
        found = hub_reach(judge.inv, hub, judge.vnet_id)
        if found is None:
            vwan.require_read(judge.inv, judge.vnet, ip)
            return False, (
                f"{where}: the solution VNet is not connected to that hub (nor to a hub of its "
                "Standard virtual WAN)"
            )
        where = f"{where} (the solution VNet is {found})"
    if not sent:
        return False, (
            f"{where} forwards to Azure-provided DNS from the hub, which no private DNS zone can "
            "be linked to: its firewall policy's DNS servers (dnsSettings.servers) must name "
            "resolvers that answer from a VNet linked to the zone"
        )
    return verdict(where, judged(judge, sent, hub, True))


#: how a forwarding ruleset's outbound endpoints are named in the words
RULESET_ORIGIN = "the ruleset's outbound endpoint's"


def ruleset_origins(inv: Inventory, ruleset: str) -> list[str]:
    """The VNets a forwarding ruleset's queries leave from: its outbound endpoints' resolvers'
    (``properties.dnsResolverOutboundEndpoints[*].id``); what cannot be read is
    ``Undeterminable`` naming it."""
    row = inv.get(ruleset)
    if row is None:
        raise Undeterminable(
            f"forwarding ruleset {ruleset} is not in the scanned inventory: which outbound "
            "endpoints its queries leave from (and whether they reach its targets) cannot be read"
        )
    out: list[str] = []
    for endpoint in _list(get_key(_props(row), "dnsResolverOutboundEndpoints")):
        endpoint_id = _text(get_key(_dict(endpoint), "id"))
        resolver = ids.parent_of_child(endpoint_id, "outboundEndpoints") if endpoint_id else ""
        found = inv.get(resolver) if resolver else None
        vnet = _text(get_key(_dict(get_key(_props(found), "virtualNetwork")), "id"))
        if not vnet:
            raise Undeterminable(
                f"forwarding ruleset {ids.short_name(ruleset)}: the DNS resolver of its outbound "
                f"endpoint {endpoint_id or '?'} is not in the scanned inventory (or names no "
                "VNet): whether its queries reach its targets cannot be read"
            )
        out.append(vnet)
    if not out:
        raise Undeterminable(
            f"forwarding ruleset {ids.short_name(ruleset)} names no outbound endpoint "
            "(dnsResolverOutboundEndpoints): where its queries leave from cannot be read"
        )
    return out


def rule_target(judge: Judge, ip: str, ruleset: str) -> tuple[bool, str]:
    """Whether forwarding rule target ``ip`` of ``ruleset`` resolves the zone (as
    :meth:`forwarded` judges it) **and** is reached from the VNet of every outbound endpoint of
    the ruleset, which sends the query (the words of a pass are :meth:`forwarded`'s). Two or
    more servers on ``ip`` with a firewall among them: the ones the outbound endpoints reach
    are judged (:mod:`dnscandidates`)."""
    several = dnscandidates.several(judge, ip)
    if several:
        origins = ruleset_origins(judge.inv, ruleset)
        return dnscandidates.choose(
            several,
            lambda c: not _unreached(judge.inv, origins, c.place, c.in_hub),
            lambda c: _rule_alone(judge, ip, c, origins),
        )
    ok, words = judge.forwarded(ip)
    if not ok:
        return ok, words
    if ip in judge.idx.proxies or ip in judge.idx.hub_proxies:
        in_hub = ip not in judge.idx.proxies
        label, place, _sent, _problem = (judge.idx.hub_proxies if in_hub else judge.idx.proxies)[
            ip
        ][0]
        places = [(label, place, in_hub)]
    else:
        places = [(label, vnet, False) for label, vnet in judge.options(ip) if judge.linked(vnet)]
    origins = ruleset_origins(judge.inv, ruleset)
    unread: Undeterminable | None = None
    misses: list[tuple[str, str, bool, list[str]]] = []
    for label, place, in_hub in places:
        try:
            unreached = _unreached(judge.inv, origins, place, in_hub)
        except Undeterminable as exc:
            unread = unread or exc
            continue
        if not unreached:
            return ok, words
        misses.append((label, place, in_hub, unreached))
    if unread is not None or not misses:
        raise unread or Undeterminable(f"{ip}: whether the ruleset reaches it cannot be read")
    return False, _origin_miss(judge.inv, ip, *misses[0])


def _rule_alone(judge: Judge, ip: str, candidate: Any, origins: list[str]) -> tuple[bool, str]:
    """Rule target ``ip``'s server ``candidate`` judged as the IP's only one."""
    ok, words = judge.alone(ip, candidate, reach=False)
    if not ok:
        return ok, words
    unreached = _unreached(judge.inv, origins, candidate.place, candidate.in_hub)
    if not unreached:
        return ok, words
    label = str(candidate.entry[0])  # every kind's entry starts with its label (or firewall)
    return False, _origin_miss(judge.inv, ip, label, candidate.place, candidate.in_hub, unreached)


def _unreached(inv: Inventory, origins: list[str], place: str, in_hub: bool) -> list[str]:
    """The outbound endpoints' VNets of ``origins`` that do not reach ``place``."""
    return [o for o in origins if not _reached(inv, o, place, in_hub)]


def _origin_miss(
    inv: Inventory, ip: str, label: str, place: str, in_hub: bool, unreached: list[str]
) -> str:
    """Why rule target ``ip`` (``label`` in ``place``) is not reached, in words."""
    shown = _where(label, ip, ("Virtual WAN hub " if in_hub else "VNet ") + ids.short_name(place))
    why = "" if in_hub else "".join(dict.fromkeys(blocked(inv, o, place) for o in unreached))
    return (
        f"{shown}, which the VNet of the ruleset's outbound endpoint "
        f"({', '.join(sorted({ids.short_name(o) for o in unreached}))}) is not peered to (peering "
        "Connected) and does not reach through a Virtual WAN hub" + why
    )


def _reached(inv: Inventory, origin: str, place: str, in_hub: bool) -> bool:
    """Whether VNet ``origin`` reaches ``place`` (a VNet, or with ``in_hub`` a virtual hub)."""
    if in_hub:
        return hub_reach(inv, place, origin) is not None
    return vnet_reach(inv, origin, place, RULESET_ORIGIN) is not None
