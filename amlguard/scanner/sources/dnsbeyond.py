"""What DNS resolution needs beyond the zone-linked VNets, found by what the spokes name
(AMLG-301 live, redteam8 item 4).

:mod:`dnsrefs` reads the resolvers, firewalls and rulesets of the VNets that are linked to a
zone and reached by a solution VNet. Landing zones put them elsewhere as often: a firewall DNS
proxy in a hub VNet no zone is linked to, forwarding to a Private Resolver in a DNS VNet peered
to the hub only; a forwarding ruleset linked to the spoke but living, with its resolver and the
zone links, in that DNS VNet; a DNS proxy firewall in a secured Virtual WAN hub. So, after
:func:`dnsrefs.collect`, a scan that does not cover every readable subscription follows what
the spokes name:

1. each custom DNS server address of a solution VNet that nothing read so far answers on:
   every readable inbound endpoint and firewall (one Resource Graph query, kept for the scan)
   is searched for it, and what answers on it is read with its resolver, VNet and policy;
2. the same for each server a DNS proxy firewall forwards to (its policy's
   ``dnsSettings.servers``, or the classic ``Network.DNS.Servers``);
3. the forwarding rulesets linked to a solution VNet that uses Azure-provided DNS while a zone
   its instances use is not linked to it: every readable ruleset (one query), their virtual
   network links (ARM lists), the rules of those linked to it, and what the rules forward to
   (as in 1);
4. the resolvers (and VNets) of the outbound endpoints of every ruleset linked to a solution
   VNet: the ruleset's queries leave from there, so that VNet must reach the rules' targets.

An address nothing answers on is what a snapshot of everything shows too: not attributable
(``fail``), unless a VNet the asker reaches (the spoke's, the firewall's or the ruleset
resolver's VNet, its Connected peers, its Virtual WAN reach) could not be read: then it may be
there, and the zones' findings are ``error`` (a gap narrowed to them), never ``fail``. A read
that fails is narrowed to the zones the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from amlguard.scanner import ids, inventory, vwan
from amlguard.scanner.dns import (
    FIREWALL,
    FIREWALL_POLICY,
    FORWARDING_RULE,
    INBOUND_ENDPOINT,
    RESOLVER,
    RULESET,
    RULESET_LINK,
)
from amlguard.scanner.dnsindex import canonical_ip
from amlguard.scanner.instances import InstanceSettings, build_instances
from amlguard.scanner.inventory import Inventory
from amlguard.scanner.paths import get_key
from amlguard.scanner.sources import dnsrefs
from amlguard.scanner.sources.dnsaddresses import (
    dns_servers,
    firewall_place,
    peers,
    proxy_servers,
    ruleset_jobs,
    server_ips,
    server_jobs,
    typed,
)
from amlguard.scanner.sources.dnsrefs import Job, ListChildren, Row, RunJobs, id_at, row_props
from amlguard.scanner.targets import SELECTORS

OUTBOUND_SEGMENT = "outboundEndpoints"


#: adds a gap narrowed to these resources' findings (reason, resource ids)
Report = Callable[[str, list[str]], None]


def collect(
    rows: list[Row],
    settings: InstanceSettings,
    readable: Iterable[str],
    run: RunJobs,
    list_children: ListChildren,
    report: Report,
    everywhere: bool = False,
) -> list[Row]:
    """The rows outside the scan DNS resolution needs: :func:`dnsrefs.collect`'s, then (unless
    the scan covers ``everywhere`` the caller can read, so holds all of it already) what the
    spokes' DNS servers, the proxies' servers and the rulesets linked to the spokes name."""
    got = dnsrefs.collect(rows, settings, readable, run, list_children)
    if everywhere:
        return got
    return got + _Follow(rows, got, settings, run, list_children, report).rows()


class _Follow:
    """One scan's follow-up reads (see the module docstring): the rows they add."""

    def __init__(
        self,
        rows: list[Row],
        got: list[Row],
        settings: InstanceSettings,
        run: RunJobs,
        list_children: ListChildren,
        report: Report,
    ) -> None:
        self.scanned, self.before = rows, got
        self.got: list[Row] = []
        self.settings, self.run, self.list_children, self.report = (
            settings,
            run,
            list_children,
            report,
        )
        self.solution = dnsrefs.solution_vnets(rows, settings)
        self._touched: list[str] | None = None
        self._servers: list[Row] | None = None
        self.asked: set[str] = set()

    def everything(self) -> list[Row]:
        return self.scanned + self.before + self.got

    def touched(self) -> list[str]:
        """The zones (and solution VNets) a failed read touches, computed once."""
        if self._touched is None:
            self._touched = dnsrefs.resolution_findings(self.scanned, self.settings, vnets=True)
        return self._touched

    def zones(self, _job: Job) -> list[str]:
        return self.touched()

    def rows(self) -> list[Row]:
        """What the spokes' DNS servers, the proxies' servers and the linked rulesets name."""
        if not self.solution:
            return []
        vnets = self.vnets()
        for spoke in self.solution:
            servers = dns_servers(vnets.get(ids.norm(spoke)) or {})
            what = f"solution VNet {ids.short_name(spoke)}"
            self.locate(servers, [spoke], "", what)
        self.proxies()
        self.rulesets()
        return self.got

    # ---------------------------------------------------------------- reading

    def _new(self, found: list[Row]) -> list[Row]:
        have = {ids.norm(r.get("id")) for r in self.everything()}
        out = []
        for row in found:
            key = ids.norm(row.get("id"))
            if key and key not in have:
                have.add(key)
                out.append(row)
        return out

    def vnets(self) -> dict[str, Row]:
        return {ids.norm(r["id"]): r for r in typed(self.everything(), inventory.VNET)}

    def fetch(self, wanted: Iterable[str], what: str) -> None:
        """The rows of these ids the scan lacks, by id (one that does not come back from a
        subscription outside the scan is a gap)."""
        lacking = [r for r in dnsrefs.missing(wanted, self.everything()) if r not in self.asked]
        if lacking:
            self.asked.update(lacking)
            jobs = dnsrefs.by_id_jobs(lacking, what)
            self.got += self._new(self.run(jobs, what, lacking, self.zones))

    def known(self) -> set[str]:
        """The DNS server addresses the rows read so far attribute."""
        out: set[str] = set()
        for rtype in (INBOUND_ENDPOINT, FIREWALL):
            for row in typed(self.everything(), rtype):
                out |= server_ips(row)
        return out

    def locate(self, servers: list[str], origins: list[str], hub: str, what: str) -> None:
        """Read what answers on these DNS server addresses (inbound endpoints and firewalls,
        with their resolvers, VNets and policies); an address still unknown while a VNet the
        asker reaches (``origins``, or the VNets of virtual hub ``hub``) could not be read is a
        gap on the zones: it may be there."""
        unknown = [ip for ip in dict.fromkeys(servers) if ip not in self.known()]
        if not unknown:
            return
        if self._servers is None:
            self._servers = self.run(server_jobs(), "DNS servers by address", [], self.zones)
        wanted = set(unknown)
        found = self._new([r for r in self._servers if server_ips(r) & wanted])
        self.got += found
        self.details(found)
        still = [ip for ip in unknown if ip not in self.known()]
        if not still:
            return
        unread = self.unread_reach(origins, hub)
        if unread:
            self.report(
                f"DNS server {', '.join(still)} of {what} could not be located: VNet "
                f"{', '.join(ids.short_name(v) for v in unread)}, which it reaches, could not be "
                "read",
                self.touched(),
            )

    def unread_reach(self, origins: list[str], hub: str = "") -> list[str]:
        """The VNets these VNets (or virtual hub ``hub``) reach that could not be read."""
        reach: dict[str, str] = {}
        for origin in origins:
            reach.update(self.reach_all(origin))
        if hub:
            reach.update(self.hub_reach(hub))
        self.fetch(reach.values(), "VNets that DNS servers may be in")
        return dnsrefs.missing(reach.values(), self.everything())

    def details(self, found: list[Row]) -> None:
        """The resolvers and VNets of located inbound endpoints, and the VNets and policies of
        located firewalls."""
        resolvers = [
            ids.parent_of_child(str(r["id"]), "inboundEndpoints")
            for r in typed(found, INBOUND_ENDPOINT)
        ]
        self.fetch(resolvers, "DNS resolvers")
        known = {ids.norm(r["id"]): r for r in typed(self.everything(), RESOLVER)}
        places = [
            id_at(row_props(known[ids.norm(r)]), "virtualNetwork", "id")
            for r in resolvers
            if ids.norm(r) in known
        ]
        firewalls = typed(found, FIREWALL)
        places += [p for p, in_hub in map(firewall_place, firewalls) if p and not in_hub]
        self.fetch([p for p in places if p], "VNets of DNS servers")
        policies = [id_at(row_props(f), "firewallPolicy", "id") for f in firewalls]
        self.fetch([p for p in policies if p], "firewall policies")

    def reach_all(self, vnet: str) -> dict[str, str]:
        """The VNet, its Connected peers and the VNets it reaches through Virtual WAN
        (lower-cased id -> id); the VNet is read first."""
        self.fetch([vnet], "VNets that DNS servers may be in")
        out = {ids.norm(vnet): vnet}
        for peer in peers(self.vnets().get(ids.norm(vnet)) or {}):
            out.setdefault(ids.norm(peer), peer)
        for key, far in dnsrefs.vwan_reach(self.everything(), [vnet]).items():
            out.setdefault(key, far)
        return out

    def hub_reach(self, hub: str) -> dict[str, str]:
        """The VNets connected to virtual hub ``hub`` or to another hub of its WAN."""
        everything = self.everything()
        wan_of = {
            ids.norm(h["id"]): ids.norm(vwan.hub_wan(h))
            for h in typed(everything, vwan.VIRTUAL_HUB)
        }
        wan = wan_of.get(ids.norm(hub), "")
        out: dict[str, str] = {}
        for conn in typed(everything, vwan.HUB_CONNECTION):
            parent, vnet = ids.norm(vwan.connection_hub(conn)), vwan.connection_vnet(conn)
            if vnet and (parent == ids.norm(hub) or (wan and wan_of.get(parent) == wan)):
                out.setdefault(ids.norm(vnet), vnet)
        return out

    # ---------------------------------------------------------------- following

    def proxies(self) -> None:
        """2. What the DNS proxy firewalls read so far forward to."""
        everything = self.everything()
        policies = {ids.norm(p["id"]): p for p in typed(everything, FIREWALL_POLICY)}
        for firewall in typed(everything, FIREWALL):
            policy = policies.get(ids.norm(id_at(row_props(firewall), "firewallPolicy", "id")))
            servers = proxy_servers(firewall, policy)
            place, in_hub = firewall_place(firewall)
            if servers and place:
                what = f"Azure Firewall {ids.short_name(str(firewall['id']))}'s DNS proxy"
                self.locate(servers, [] if in_hub else [place], place if in_hub else "", what)

    def rulesets(self) -> None:
        """3 and 4. The rulesets linked to solution VNets that need one (their links, rules and
        targets), and the outbound endpoints' resolvers of every ruleset linked to one."""
        needing = self.azure_dns_unlinked()
        if needing:
            self.linked_rulesets(needing)
        self.ruleset_sources(needing)
        linked = {
            ids.norm(id_at(row_props(link), "virtualNetwork", "id"))
            for link in typed(self.everything(), RULESET_LINK)
        }
        for spoke in sorted(needing - linked):
            unread = self.unread_reach([spoke])
            if unread:  # a ruleset linked to it may live there
                self.report(
                    f"no DNS forwarding ruleset linked to solution VNet {ids.short_name(spoke)} "
                    "was found, and VNet "
                    f"{', '.join(ids.short_name(v) for v in unread)}, which it reaches, could "
                    "not be read (a ruleset linked to it may be there)",
                    self.touched(),
                )

    def linked_rulesets(self, needing: set[str]) -> None:
        """The readable rulesets the rows lack, their links, and the rules of those linked to
        these solution VNets (lower-cased)."""
        found = self.run(ruleset_jobs(), "DNS forwarding rulesets", [], self.zones)
        new = typed(self._new(found), RULESET)
        if not new:
            return
        self.got += new
        links = self.list_children(new, "virtualNetworkLinks", self.touched)
        self.got += self._new(links)
        mine = {
            ids.norm(ids.parent_of_child(str(link.get("id") or ""), "virtualNetworkLinks"))
            for link in links
            if ids.norm(id_at(row_props(link), "virtualNetwork", "id")) in needing
        }
        linked = [r for r in new if ids.norm(r["id"]) in mine]
        if linked:
            self.got += self._new(self.list_children(linked, "forwardingRules", self.touched))

    def ruleset_sources(self, needing: set[str]) -> None:
        """The resolvers (and their VNets) of the outbound endpoints of the rulesets linked to
        a solution VNet (their queries leave from there, which must reach the targets), and,
        for the solution VNets ``needing`` one, what the rules forward to."""
        spokes = {ids.norm(s) for s in self.solution}
        everything = self.everything()
        by_spoke: dict[str, set[str]] = {}  # ruleset -> the solution VNets linked to it
        for link in typed(everything, RULESET_LINK):
            vnet = ids.norm(id_at(row_props(link), "virtualNetwork", "id"))
            if vnet in spokes:
                parent = ids.parent_of_child(str(link.get("id") or ""), "virtualNetworkLinks")
                by_spoke.setdefault(ids.norm(parent), set()).add(vnet)
        rulesets = [r for r in typed(everything, RULESET) if ids.norm(r["id"]) in by_spoke]
        resolvers = [
            ids.parent_of_child(id_at(endpoint, "id"), OUTBOUND_SEGMENT)
            for ruleset in rulesets
            for endpoint in get_key(row_props(ruleset), "dnsResolverOutboundEndpoints") or []
        ]
        self.fetch([r for r in resolvers if r], "DNS resolvers of forwarding rulesets")
        known = {ids.norm(r["id"]): r for r in typed(self.everything(), RESOLVER)}
        origins = [
            id_at(row_props(known[ids.norm(r)]), "virtualNetwork", "id")
            for r in resolvers
            if ids.norm(r) in known
        ]
        origins = [o for o in origins if o]
        self.fetch(origins, "VNets of DNS resolvers")
        wanted = {k for k, vnets in by_spoke.items() if vnets & needing}
        targets = [
            ip
            for rule in typed(self.everything(), FORWARDING_RULE)
            if ids.norm(ids.parent_of_child(str(rule.get("id") or ""), "forwardingRules")) in wanted
            for target in get_key(row_props(rule), "targetDnsServers") or []
            if (ip := canonical_ip(id_at(target, "ipAddress")))
        ]
        if targets:
            what = "the forwarding rulesets linked to the solution VNets"
            self.locate(targets, origins, "", what)

    def azure_dns_unlinked(self) -> set[str]:
        """The solution VNets (lower-cased) that use Azure-provided DNS while a zone their
        instances use is not linked to them: only a linked ruleset can resolve it there."""
        select = SELECTORS.get("instanceDnsZones")
        if select is None:
            return set()
        vnets = self.vnets()
        links = {
            (
                ids.norm(ids.parent_of_child(str(link.get("id") or ""), "virtualNetworkLinks")),
                ids.norm(id_at(row_props(link), "virtualNetwork", "id")),
            )
            for link in typed(self.everything(), inventory.VNET_LINK)
        }
        inv = Inventory(self.scanned)
        out: set[str] = set()
        for inst in build_instances(inv, self.settings):
            spoke = ids.norm(inst.solution_vnet or "")
            row = vnets.get(spoke)
            if not spoke or spoke in out or row is None or dnsrefs.custom_dns(row):
                continue
            if any((ids.norm(t.id), spoke) not in links for t in select(inst, inv, {}).targets):
                out.add(spoke)
        return out


__all__ = ["Report", "collect"]
