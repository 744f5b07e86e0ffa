"""DNS that resolves, not only DNS that is linked (AMLG-301, real-estates 4.2).

A private DNS zone Z answers for clients in the solution VNet S when one of these holds:

(a) Z is linked to S, and S uses Azure-provided DNS (no ``dhcpOptions.dnsServers``) or DNS
    servers that sit in S's own address space;
(b) every custom DNS server of S is attributable to a VNet V that Z is linked to and that S
    reaches (V is S, a ``Connected`` peering joins them, or both are connected to one Virtual
    WAN hub or to hubs of one Standard virtual WAN, :mod:`vwan`): an Azure DNS Private Resolver
    inbound endpoint, an Azure Firewall with DNS proxy enabled, or a ``trusted_dns_servers``
    entry (forwarders amlguard cannot see: DNS VMs, appliances, on-premises servers);
(c) S uses Azure-provided DNS and is linked to a DNS forwarding ruleset with an ``Enabled``
    rule for Z's name (or a parent suffix) whose targets are all inbound endpoints that resolve
    Z as in (b).

Custom DNS servers nobody can attribute make the zone fail even when it is linked to S (the
clients ask those servers, not Azure DNS). A passing zone notes the path found, in words, for
the finding's message. Everything here is an index over the inventory, built once per scan.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from amlguard.scanner import (
    dnscandidates,
    dnsforward,
    dnspublic,
    dnsrules,
    hopstate,
    ids,
    linkstates,
    peerings,
    unknownrefs,
    vwan,
)
from amlguard.scanner.conditions import related_source
from amlguard.scanner.context import EvalContext, Undeterminable
from amlguard.scanner.dnsindex import (
    AZURE_DNS,
    FIREWALL,
    FIREWALL_POLICY,
    FORWARDING_RULE,
    INBOUND_ENDPOINT,
    RESOLUTION_TYPES,
    RESOLVER,
    RULESET,
    RULESET_LINK,
    _dict,
    _list,
    _props,
    _text,
    canonical_ip,
    index,
)
from amlguard.scanner.dnsinputs import centrally_managed, trusted_servers
from amlguard.scanner.dnsservers import servers_of
from amlguard.scanner.inventory import Row
from amlguard.scanner.paths import MISSING, get_key

#: an IP address in its canonical spelling ("" when it is not one), answers kept
_ip = canonical_ip


class _Judge:
    """Resolution of one zone in one VNet, with the words a finding needs: each check returns
    (True, how it resolves) or (False, which link is missing)."""

    def __init__(self, ctx: EvalContext, zone_id: str, vnet_id: str, trusted: Any) -> None:
        self.inv = ctx.inventory
        self.zone_id = zone_id
        self.zone_key = ids.norm(zone_id)
        self.vnet_id = vnet_id
        self.vnet_key = ids.norm(vnet_id)
        self.vnet = self.inv.get(vnet_id)
        self.idx = index(self.inv)
        self.trusted = trusted_servers(trusted) if trusted else {}
        #: the trusted servers as a memo key (a scan's rules pass one list; () when none)
        self.trusted_key = tuple(self.trusted.items())
        #: a link whose VNet is unknown before deployment (templates): raised when no path
        #: resolves the zone, as it may be the missing link
        self.unknown: Undeterminable | None = None

    @property
    def zone_name(self) -> str:
        """The zone's name, lower-cased (only forwarding rules compare it)."""
        return ids.short_name(self.zone_id).lower()

    def linked(self, vnet: str) -> bool:
        key = (self.zone_key, ids.norm(vnet))
        if self.inv.links_by_zone_and_vnet.get(key):
            return True
        self.unlinked()
        if self.unknown is None and (pending := self.inv.links_not_in_place.get(key)):
            self.unknown = linkstates.unsettled_link(pending)  # a Failed link: not linked
        return False

    def unlinked(self) -> None:
        """What finding a VNet the zone is not linked to does: note a link whose VNet is
        unknown before deployment (it may be that VNet's link)."""
        if self.unknown is None:
            self.unknown = next(iter(unknownrefs.link_vnet_unknowns(self.inv, self.zone_id)), None)

    def failed(self, problems: list[Any]) -> list[Any]:
        """``problems`` (the zone does not resolve), unless a link whose VNet is unknown may
        be the missing one: then the verdict is unknown before deployment."""
        if self.unknown is not None:
            raise self.unknown
        return problems

    def reaches(self, vnet: str) -> str | None:
        """How S reaches V in words: S is V, a Connected peering, or Virtual WAN hubs (worked
        out once per pair: every zone of an instance asks about the same few VNets)."""
        return self.reach(vnet, ids.norm(vnet))

    def reach(self, vnet: str, vnet_key: str) -> str | None:
        """:meth:`reaches`, ``vnet_key`` being ``ids.norm(vnet)``."""
        memo = self.idx.reach
        key = (self.vnet_key, vnet_key)
        try:
            return memo[key]
        except KeyError:
            pass
        found = memo[key] = self._reaches(vnet, key)
        return found

    def _reaches(self, vnet: str, key: tuple[str, str]) -> str | None:
        if key[0] == key[1]:
            return "the solution VNet itself"
        # the solution VNet's own leg decides: Connected and allowVirtualNetworkAccess not false
        if peerings.leg_path(self.vnet, vnet)[0]:
            return "peered (Connected) to the solution VNet"
        return vwan.route(self.inv, self.vnet_id, vnet)

    def unreached(self, where: str, vnet: str) -> str:
        """Why S does not reach VNet ``vnet`` (where server ``where`` sits), in words."""
        try:
            blocked = peerings.leg_path(self.vnet, vnet)[1]
        except Undeterminable:
            blocked = ""
        blocked = blocked or vwan.unrouted(self.inv, self.vnet_id, vnet)
        return (
            f"{where}, which the solution VNet is not peered to (peering Connected) and does "
            "not reach through a Virtual WAN hub" + (f" ({blocked})" if blocked else "")
        )

    def in_own_space(self, ip: str) -> bool:
        prefixes = _list(
            get_key(_dict(get_key(_props(self.vnet), "addressSpace")), "addressPrefixes")
        )
        for prefix in prefixes:
            try:
                if ipaddress.ip_address(ip) in ipaddress.ip_network(str(prefix), strict=False):
                    return True
            except ValueError:
                continue
        return False

    def options(self, ip: str) -> list[tuple[str, str]]:
        found = list(self.idx.servers.get(ip, []))
        if ip in self.trusted:
            found.append((f"trusted DNS server {ip}", self.trusted[ip]))
        return found

    def server(self, ip: str) -> tuple[bool, str]:
        """Whether custom DNS server ``ip`` of S resolves the zone, and how (or why not)."""
        if ip == AZURE_DNS:  # Azure-provided DNS named explicitly: S's own links answer
            if self.linked(self.vnet_id):
                return True, f"zone linked to the solution VNet (Azure-provided DNS {ip})"
            return False, "no link to the solution VNet"
        several = dnscandidates.several(self, ip)
        if several:  # a firewall among two or more servers on the IP: the one S reaches
            return dnscandidates.choose(
                several, self.reached_by_solution, lambda c: self.alone(ip, c, reach=True)
            )
        if ip in self.idx.proxies:
            return self.proxy(ip, self.idx.proxies[ip][0], reach=True)
        if ip in self.idx.hub_proxies:
            return dnsforward.hub_proxy(self, ip, True, self.idx.hub_proxies[ip][0])
        options = self.options(ip)
        if not options:
            if self.in_own_space(ip) and self.linked(self.vnet_id):
                # a DNS server in S forwards to Azure DNS, which sees S's links
                return True, (
                    f"zone linked to the solution VNet, whose DNS server {ip} sits in it "
                    "(forwarding to Azure-provided DNS)"
                )
            self.unreadable(ip)
            return False, (
                f"custom DNS server {ip} of the solution VNet is not a Private Resolver inbound "
                "endpoint, an Azure Firewall DNS proxy or a trusted_dns_servers entry"
            )
        unread: Undeterminable | None = None
        for vnet, vnet_key, where, linked in self.server_vnets(ip, options):
            if not linked:
                self.unlinked()  # as linked() does for it
                continue
            try:
                how = self.reach(vnet, vnet_key)
            except Undeterminable as exc:  # a peering whose flag cannot be read
                unread = unread or exc
                continue
            if how is not None:
                return True, f"through {where}, which is linked to the zone and {how}"
        if unread is not None:
            raise unread
        label, vnet = options[0]
        return self.resolver_missed(ip, label, vnet)

    def resolver_missed(self, ip: str, label: str, vnet: str) -> tuple[bool, str]:
        """Why resolver (or trusted server) ``label`` on ``ip`` in ``vnet``, which S does not
        reach or whose VNet the zone is not linked to, does not resolve the zone."""
        where = _where(label, ip, vnet)
        if not self.linked(vnet):
            return False, f"{where}: the zone is not linked to that VNet"
        vwan.require_read(self.inv, self.vnet, ip, vnet, where)
        basic = vwan.basic_between(self.inv, self.vnet_id, vnet)
        return False, self.unreached(where, vnet) + (f" ({basic})" if basic else "")

    def reached_by_solution(self, candidate: dnscandidates.Candidate) -> bool:
        """Whether S reaches DNS server ``candidate``'s VNet or hub."""
        if candidate.in_hub:
            return dnsforward.hub_reach(self.inv, candidate.place, self.vnet_id) is not None
        return self.reaches(candidate.place) is not None

    def alone(self, ip: str, candidate: dnscandidates.Candidate, reach: bool) -> tuple[bool, str]:
        """Whether DNS server ``candidate`` on ``ip`` resolves the zone, judged as if it were
        the IP's only server (``reach``: S must reach it, it being S's DNS server)."""
        kind, entry = candidate.kind, candidate.entry
        if kind == dnscandidates.PROXY:
            return self.proxy(ip, entry, reach)
        if kind == dnscandidates.HUB:
            return dnsforward.hub_proxy(self, ip, reach, entry)
        if kind == dnscandidates.UNREAD:
            raise Undeterminable(dnscandidates.unread_words(ip, entry))
        if kind == dnscandidates.DEAD:  # a resource of it failed (or is not settled)
            return dnscandidates.dead_verdict(entry)
        label, vnet = entry
        where = _where(label, ip, vnet)
        if self.linked(vnet) and not reach:
            return True, f"{where}, which is linked to the zone"
        how = self.reaches(vnet) if self.linked(vnet) else None
        if how is not None:
            return True, f"through {where}, which is linked to the zone and {how}"
        return self.resolver_missed(ip, label, vnet)

    def server_vnets(
        self, ip: str, options: list[tuple[str, str]]
    ) -> tuple[tuple[str, str, str, bool], ...]:
        """Per option of server ``ip``: (its VNet, that id lower-cased, the server in words,
        whether the zone is linked to the VNet), worked out once per zone and server (no side
        effects here: the caller marks an unlinked VNet in order, as :meth:`linked` would)."""
        key = (self.zone_id, ip, self.trusted_key)
        found = self.idx.server_vnets.get(key)
        if found is None:
            links = self.inv.links_by_zone_and_vnet
            keyed = [(label, vnet, ids.norm(vnet)) for label, vnet in options]
            found = self.idx.server_vnets[key] = tuple(
                (vnet, k, _where(label, ip, vnet), bool(links.get((self.zone_key, k))))
                for label, vnet, k in keyed
            )
        return found

    def forwarded(self, ip: str) -> tuple[bool, str]:
        """Whether a forwarding rule's target ``ip`` resolves the zone, and how (or why not).
        The query leaves through the ruleset's outbound endpoint, so the solution VNet need not
        be peered to the target's VNet (Private Resolver docs): the target must answer from a
        VNet the zone is linked to."""
        several = dnscandidates.several(self, ip)
        if several:  # a firewall among two or more servers on the IP: any that resolves it
            return dnscandidates.choose(
                several, lambda _c: True, lambda c: self.alone(ip, c, reach=False)
            )
        if ip in self.idx.proxies:
            return self.proxy(ip, self.idx.proxies[ip][0], reach=False)
        if ip in self.idx.hub_proxies:
            return dnsforward.hub_proxy(self, ip, False, self.idx.hub_proxies[ip][0])
        options = self.options(ip)
        if not options:
            if ip in self.idx.unread_policies:
                self.unreadable(ip)  # a firewall whose policy the scan could not read: error
            return False, (
                f"{ip} is not a Private Resolver inbound endpoint, an Azure Firewall DNS proxy "
                "or a trusted_dns_servers entry"
            )
        for label, vnet in options:
            if self.linked(vnet):
                return True, f"{_where(label, ip, vnet)}, which is linked to the zone"
        label, vnet = options[0]
        return False, f"{_where(label, ip, vnet)}: the zone is not linked to that VNet"

    def proxy(
        self, ip: str, entry: tuple[str, str, list[str], str], reach: bool
    ) -> tuple[bool, str]:
        """Whether firewall DNS proxy ``entry`` (of ``idx.proxies[ip]``), which forwards to
        servers of its own, resolves the zone: S reaches the firewall (``reach``: it is S's DNS
        server), and every server it forwards to resolves the zone and is reached from the
        firewall's VNet (dnsproxy, dnsforward)."""
        label, vnet, sent, problem = entry
        where = _where(label, ip, vnet)
        if problem:
            raise Undeterminable(problem)
        how = ""
        if reach:
            found = self.reaches(vnet)
            if found is None:
                vwan.require_read(self.inv, self.vnet, ip, vnet, where)
                return False, self.unreached(where, vnet)
            how = f" ({found})"
        return dnsforward.verdict(where + how, dnsforward.judged(self, sent, vnet, hub=False))

    def target(self, written: str, port: int | None, ruleset: str = "") -> tuple[str, bool, str]:
        """A forwarding rule's target: (its address, whether it resolves the zone, how or why
        not); one on a port other than 53 reaches no resolver."""
        ip = _ip(written)
        if not ip:
            return "?", False, "no address"
        if port is not None:
            shown = f"{ip} port {port}"
            return shown, False, f"{shown}: DNS resolvers answer on port {dnsrules.DNS_PORT}"
        if ruleset:  # the ruleset's outbound endpoints send the query: they must reach it
            return ip, *dnsforward.rule_target(self, ip, ruleset)
        return ip, *self.forwarded(ip)

    def unreadable(self, ip: str) -> None:
        """``error`` when DNS server ``ip`` may be what the scan could not read: a firewall
        whose policy is missing, or a VNet the zone is linked to and S reaches that is not in
        the inventory (its resolvers and firewalls are unknown)."""
        if ip in self.idx.unread_policies:
            raise Undeterminable(dnscandidates.unread_words(ip, self.idx.unread_policies[ip][0]))
        vwan.require_read(self.inv, self.vnet, ip)
        unseen = [
            v
            for v in self.answering_vnets()
            if ids.norm(v) != ids.norm(self.vnet_id) and self.inv.get(v) is None
        ]
        if unseen:
            raise Undeterminable(
                f"custom DNS server {ip} may be a DNS Private Resolver inbound endpoint or "
                f"firewall in VNet {', '.join(sorted(unseen, key=ids.norm))}, which the zone is "
                "linked to and the solution VNet reaches (peering or Virtual WAN hub), but which "
                "is not in the scanned inventory (outside the scan scope or unreadable)"
            )

    def answering_vnets(self) -> list[str]:
        """The VNets linked to the zone that S reaches (Connected peers, Virtual WAN hubs)."""
        out = []
        for peering in _list(get_key(_props(self.vnet), "virtualNetworkPeerings")):
            remote = _text(get_key(_dict(get_key(_props(peering), "remoteVirtualNetwork")), "id"))
            if remote and self.reaches(remote) and self.linked(remote):
                out.append(remote)
        out += [v for v in vwan.reachable(self.inv, self.vnet_id) if self.linked(v)]
        return out

    def ruleset(self) -> tuple[bool, str]:
        """Whether the forwarding rule that wins for the zone sends it to servers that resolve
        it, and how (or why not: "" when no ruleset linked to S has an enabled rule for it).

        Azure uses the most specific enabled rule whose domain matches (``.`` matches every
        name), so a broken specific rule is not rescued by a working broader one. A pass
        depends on the rulesets linked to S, the zone and the trusted servers only, so it is
        kept for the next spoke linked to the same rulesets.
        """
        down = self.idx.ruleset_links_down.get(self.vnet_key, ())
        for verdict, words in down:  # a link still provisioning may be the one that decides
            if verdict == hopstate.UNSETTLED:
                raise Undeterminable(words)
        rulesets = self.idx.ruleset_keys.get(self.vnet_key)
        if rulesets is None:  # no ruleset is linked to S (or its links failed)
            return False, "; ".join(words for _v, words in down)
        key = (rulesets, self.zone_id, self.trusted_key)
        found = self.idx.ruleset_passes.get(key)
        if found is not None:
            return True, found
        ok, words = self._ruleset()
        if ok:
            self.idx.ruleset_passes[key] = words
        return ok, words

    def _ruleset(self) -> tuple[bool, str]:
        decided = dnspublic.public_rule(self)  # a rule for the public name clients query
        if decided is not None:
            return decided
        matching: list[tuple[int, str, str, str, Row]] = []
        disabled: list[str] = []
        zone_name = self.zone_name
        memo = self.idx.matches
        for ruleset, rules in self.idx.rulesets.get(self.vnet_key, []):
            key = (ruleset, zone_name)
            positions = memo.get(key)
            if positions is None:
                positions = memo[key] = [
                    i
                    for i, (_rule, domain, _row) in enumerate(rules)
                    if not domain or zone_name == domain or zone_name.endswith("." + domain)
                ]
            if not positions:
                continue
            name = ids.short_name(ruleset)
            for position in positions:
                rule, domain, row = rules[position]
                if not dnsrules.enabled(row):
                    disabled.append(f"forwarding rule for {domain}. in ruleset {name} is Disabled")
                    continue
                matching.append((len(domain), name, rule, domain, row))
        if not matching:
            return False, "; ".join(disabled)
        _length, name, rule, domain, row = max(matching, key=lambda m: m[0])
        shown = f"{domain}." if domain else ". (every name)"
        broken = dnspublic.ruleset_problem(self.inv, row)
        if broken:
            return (
                False,
                f"ruleset {name} forwards {shown} (the most specific enabled rule for the zone), but {broken}",
            )
        targets = dnsrules.targets(row)
        if not targets:
            return False, f"ruleset {name} forwards {shown} to no server"
        ruleset = ids.parent_of_child(str(row["id"]), "forwardingRules")
        judged = [self.target(written, port, ruleset) for written, port in targets]
        bad = [(t, why) for t, ok, why in judged if not ok]
        if not bad:
            sent = "; ".join(how for _t, _ok, how in judged)
            return True, f"through forwarding ruleset {name} rule {rule} ({shown}) -> {sent}"
        details = "; ".join(why for _t, why in bad if why)
        return False, (
            f"ruleset {name} forwards {shown} (the most specific enabled rule for the zone) to "
            f"{', '.join(t for t, _why in bad)}, which does not resolve the zone: {details}"
        )


def _where(label: str, ip: str, vnet: str) -> str:
    """A DNS server in words: '<what> (<ip>) in VNet <name>'."""
    shown = label if ip in label else f"{label} ({ip})"
    return f"{shown} in VNet {ids.short_name(vnet)}"


def _note(ctx: EvalContext, words: str) -> list[Any]:
    """A pass ([]), with how the zone resolves noted for the finding's message."""
    if ctx.notes is not None:
        ctx.notes.append(words)
    return []


def _linked_on_azure_dns(ctx: EvalContext, zone_id: str, vnet: str) -> tuple[bool, Any]:
    """(whether the zone resolves in ``vnet`` by path (a) with Azure-provided DNS, the VNet's
    DNS servers as read, or None when not read), read as :class:`_Judge` reads it for
    ``mode: auto`` and no trusted servers (the same steps in the same order, the same errors),
    without making one: most of the ~7,000 zones at N = 1,000. False says nothing: the judge
    decides, with the servers read here."""
    inv = ctx.inventory
    memo = inv.memo.get("azureDnsVnets")
    if memo is None:
        memo = inv.memo["azureDnsVnets"] = {}
    # per VNet id as spelled (each instance's ~7 zones ask about its VNet): its key, and its
    # DNS servers as read (an unreadable value is not kept: it raises each time, as before)
    found = memo.get(vnet) if type(vnet) is str else None
    if found is None:
        row = inv.get(vnet)
        if row is None:
            return False, None
        index(inv)
        found = (ids.norm(vnet), tuple(servers_of(inv, row, _ip)))
        if type(vnet) is str:
            memo[vnet] = found
    vnet_key, servers = found
    if servers:
        return False, list(servers)
    return bool(inv.links_by_zone_and_vnet.get((ids.norm(zone_id), vnet_key))), []


@related_source("dnsResolution")
def dns_resolution(
    ctx: EvalContext, vnet: Any = None, trusted: Any = None, central: Any = None, mode: Any = None
) -> list[Any]:
    """Why the judged private DNS zone does not resolve in VNet ``vnet``: [] when it does (the
    path found is noted, in words, for a passing finding's message); else one item per problem
    whose ``id`` says, in words, which link or path is missing."""
    zone_id = str(ctx.resource["id"])
    zone = ctx.inventory.get(zone_id)
    if zone is None:
        raise Undeterminable(
            f"private DNS zone {ids.short_name(zone_id)} is not in the scanned inventory "
            "(outside the scan scope or deleted); if a central team manages it, add its "
            "resource group or subscription to central_dns_scopes"
        )
    props = zone.get("properties")  # {} or ARM's Succeeded (nearly every zone): at dict speed
    if not (type(props) is dict and (not props or props.get("provisioningState") == "Succeeded")):
        broken = hopstate.problem(zone, hopstate.ZONE, "its records answer no query")
        if broken:
            return [{"id": broken}]
    if not isinstance(vnet, str) or not vnet:
        return [{"id": "no solution VNet"}]
    link_only = str(mode or "auto").lower() == "link_only"
    read = None  # the VNet's DNS servers, when read below
    if not trusted and not link_only:
        linked, read = _linked_on_azure_dns(ctx, zone_id, vnet)
        if linked:
            return _note(ctx, "zone linked to the solution VNet (Azure-provided DNS)")
    judge = _Judge(ctx, zone_id, vnet, trusted)
    if link_only:
        if judge.linked(vnet):
            return _note(ctx, "zone linked to the solution VNet (dns_resolution: link_only)")
        return judge.failed([{"id": "no link to the solution VNet"}])
    if judge.vnet is None:
        raise Undeterminable(
            f"solution VNet {vnet} is not in the scanned inventory (outside the scan scope or "
            "unreadable): which DNS servers its clients ask cannot be read"
        )
    servers = read if read is not None else servers_of(ctx.inventory, judge.vnet, _ip)
    if not servers:  # Azure-provided DNS: a link (a), or a forwarding ruleset (c)
        if judge.linked(vnet):
            return _note(ctx, "zone linked to the solution VNet (Azure-provided DNS)")
        ok, words = judge.ruleset()
        if ok:
            return _note(ctx, words)
        return judge.failed(
            [
                {
                    "id": words
                    or "the zone is not linked to the solution VNet, and no DNS forwarding "
                    "ruleset linked to it forwards the zone to a resolver"
                }
            ]
        )
    judged = [judge.server(s) for s in dict.fromkeys(servers)]
    problems = [{"id": words} for ok, words in judged if not ok]
    if problems:
        return judge.failed(problems)
    return _note(ctx, "; ".join(words for _ok, words in judged))


def vnet_reach(ctx: EvalContext, source: str, target: str) -> str | None:
    """How VNet ``source`` reaches VNet ``target``, in words, as AMLG-301 judges a DNS server's
    VNet (the VNet itself, a Connected peering, Virtual WAN hubs); None when it does not."""
    return _Judge(ctx, "", source, None).reaches(target)


__all__ = [
    "FIREWALL",
    "FIREWALL_POLICY",
    "FORWARDING_RULE",
    "INBOUND_ENDPOINT",
    "MISSING",
    "RESOLUTION_TYPES",
    "RESOLVER",
    "RULESET",
    "RULESET_LINK",
    "centrally_managed",
    "dns_resolution",
    "vnet_reach",
]
