"""What DNS resolution needs beyond the zone-linked VNets, found by what the spokes name
(AMLG-301 live, redteam8 item 4).

:mod:`dnsrefs` reads the resolvers, firewalls and rulesets of the VNets that are linked to a
zone and reached by a solution VNet. Landing zones put them elsewhere as often: a firewall DNS
proxy in a hub VNet no zone is linked to, forwarding to a Private Resolver in a DNS VNet peered
to the hub only; a forwarding ruleset linked to the spoke but living, with its resolver and the
zone links, in that DNS VNet; a DNS proxy firewall in a secured Virtual WAN hub. So, after
:func:`dnsrefs.collect`, this module follows what the spokes name:

1. each custom DNS server of a solution VNet: the VNets (the solution VNet, its Connected peers,
   the VNets it reaches through Virtual WAN) whose address space holds it, and the virtual hubs
   whose address prefix holds it; their resolvers and firewalls (a hub's by
   ``properties.virtualHub.id``), then the inbound endpoints and firewall policies;
2. each server a DNS proxy firewall forwards to (its policy's ``dnsSettings.servers``, or the
   classic ``Network.DNS.Servers``): the VNets holding it among those the firewall reaches (its
   VNet and that VNet's peers and Virtual WAN reach, or the VNets connected to its hub's WAN);
3. the forwarding rulesets linked to a solution VNet that uses Azure-provided DNS while a zone
   its instances use is not linked to it: every readable ruleset (one Resource Graph query),
   their virtual network links (ARM lists), the rules of those linked to it, and the resolvers
   their outbound endpoints belong to, whose VNets' reach is searched for the rules' targets.

Every read is narrowed to the zones whose judgement needs it: one that fails makes those zones
``error``, never ``fail``. A server no read VNet holds is what a snapshot of everything shows
too: not attributable (``fail``).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

from amlguard.scanner import dnsproxy, ids, inventory, vwan
from amlguard.scanner.context import Undeterminable
from amlguard.scanner.dns import FIREWALL, FIREWALL_POLICY, RESOLVER, RULESET
from amlguard.scanner.dnsindex import canonical_ip
from amlguard.scanner.instances import InstanceSettings, build_instances
from amlguard.scanner.inventory import Inventory
from amlguard.scanner.paths import get_key
from amlguard.scanner.sources import dnsrefs, kql
from amlguard.scanner.sources.dnsrefs import Job, ListChildren, Row, RunJobs, id_at, row_props
from amlguard.scanner.sources.query import Scope
from amlguard.scanner.targets import SELECTORS

OUTBOUND_SEGMENT = "outboundEndpoints"


def collect(
    rows: list[Row],
    settings: InstanceSettings,
    readable: Iterable[str],
    run: RunJobs,
    list_children: ListChildren,
) -> list[Row]:
    """The rows outside the scan DNS resolution needs: :func:`dnsrefs.collect`'s, then what
    the spokes' DNS servers, the proxies' servers and the rulesets linked to them name."""
    readable = list(readable)
    got = dnsrefs.collect(rows, settings, readable, run, list_children)
    return got + _Follow(rows, got, settings, readable, run, list_children).rows()


def _typed(rows: Iterable[Row], rtype: str) -> list[Row]:
    return [r for r in rows if str(r.get("type") or "").lower() == rtype]


def _holds(prefixes: Any, ip: str) -> bool:
    """Whether one of the address prefixes (a list, or one text) holds ``ip``."""
    for prefix in prefixes if isinstance(prefixes, list) else [prefixes]:
        try:
            if ipaddress.ip_address(ip) in ipaddress.ip_network(str(prefix), strict=False):
                return True
        except ValueError:
            continue
    return False


def vnet_holds(vnet: Row, ip: str) -> bool:
    """Whether a VNet's address space holds ``ip``."""
    space = get_key(row_props(vnet), "addressSpace")
    return _holds(get_key(space, "addressPrefixes") if isinstance(space, dict) else None, ip)


def hub_holds(hub: Row, ip: str) -> bool:
    """Whether a virtual hub's address prefix holds ``ip``."""
    return _holds(get_key(row_props(hub), "addressPrefix"), ip)


def dns_servers(vnet: Row) -> list[str]:
    """A VNet's custom DNS servers that are IP addresses (canonical), read leniently: what
    to fetch, not a judgement (dnsservers reads them strictly)."""
    dhcp = get_key(row_props(vnet), "dhcpOptions")
    servers = get_key(dhcp, "dnsServers") if isinstance(dhcp, dict) else None
    found = (
        [canonical_ip(s) for s in servers if isinstance(s, str)]
        if isinstance(servers, list)
        else []
    )
    return [s for s in found if s]


def proxy_servers(firewall: Row, policy: Row | None) -> list[str]:
    """The IP addresses a DNS proxy firewall forwards to ([] when its proxy is off, it asks
    Azure-provided DNS, or what it names cannot be read)."""
    extra = get_key(row_props(firewall), "additionalProperties")
    classic = (
        isinstance(extra, dict) and str(get_key(extra, "Network.DNS.EnableProxy")).lower() == "true"
    )
    settings = get_key(row_props(policy), "dnsSettings") if policy else None
    enabled = isinstance(settings, dict) and str(get_key(settings, "enableProxy")).lower() == "true"
    if not classic and not enabled:
        return []
    try:
        written = dnsproxy.forwarded_to(firewall, policy, classic, "firewall")
    except Undeterminable:
        return []
    return [ip for ip in (canonical_ip(s) for s in written) if ip]


def firewall_place(firewall: Row) -> tuple[str, bool]:
    """Where a firewall sends from: (its VNet, False) or (its virtual hub, True); ('', False)
    when neither can be read."""
    for cfg in get_key(row_props(firewall), "ipConfigurations") or []:
        subnet = id_at(row_props(cfg), "subnet", "id")
        if subnet:
            return ids.vnet_of_subnet(subnet), False
    _ip, hub = dnsproxy.hub_address(firewall)
    return hub, bool(hub)


def peers(vnet: Row) -> list[str]:
    """The remote VNets of a VNet's Connected peerings, but for its Virtual WAN hub peering
    (to the hub's managed VNet, which Azure keeps in a subscription of its own: the hub's
    VNet connections say where that leads)."""
    out = []
    for peering in get_key(row_props(vnet), "virtualNetworkPeerings") or []:
        name = get_key(peering, "name") if isinstance(peering, dict) else None
        if isinstance(name, str) and name.strip().lower().startswith(vwan.HUB_PEERING_PREFIX):
            continue
        out += dnsrefs.connected_peers({"properties": {"virtualNetworkPeerings": [peering]}})
    return out


def _scope(resource_ids: Iterable[str]) -> Scope:
    subs = {ids.parse(r).subscription_id for r in resource_ids}
    return Scope(tuple(sorted(subs, key=str.lower)))


def hub_firewall_jobs(hub_ids: list[str]) -> list[Job]:
    """The Azure Firewalls in these virtual hubs (``properties.virtualHub.id``)."""
    jobs: list[Job] = []
    for chunk in dnsrefs.chunks(sorted(hub_ids, key=ids.norm)):
        wanted = "(" + ", ".join(kql.quote(ids.norm(h)) for h in chunk) + ")"
        text = (
            f"resources | where type =~ {kql.quote(FIREWALL)}"
            f" | where tolower(tostring(properties.virtualHub.id)) in~ {wanted}"
            " | project " + ", ".join(kql.RESOURCE_COLUMNS)
        )
        jobs.append(("virtual hub firewalls", text, _scope(chunk)))
    return jobs


def ruleset_jobs() -> list[Job]:
    """Every readable DNS forwarding ruleset (one query; links and rules come by ARM)."""
    return [("DNS forwarding rulesets", kql.resources([RULESET]), Scope())]


class _Follow:
    """One scan's follow-up reads (see the module docstring): the rows they add."""

    def __init__(
        self,
        rows: list[Row],
        got: list[Row],
        settings: InstanceSettings,
        readable: list[str],
        run: RunJobs,
        list_children: ListChildren,
    ) -> None:
        self.scanned, self.before = rows, got
        self.got: list[Row] = []
        self.settings, self.readable = settings, readable
        self.run, self.list_children = run, list_children
        self.solution = dnsrefs.solution_vnets(rows, settings)
        self.scanned_ids = {ids.norm(r.get("id")) for r in rows}
        self._touched: list[str] | None = None
        self.asked: set[str] = set()
        # the VNets dnsrefs.collect searched already: zone-linked and reached by a spoke
        linked = dnsrefs.zone_link_vnets(self.everything())
        self.searched = {k for k in self.reach_all(self.solution) if k in linked}

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
        self.spokes()
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
        return {ids.norm(r["id"]): r for r in _typed(self.everything(), inventory.VNET)}

    def fetch(self, wanted: Iterable[str], what: str) -> None:
        """The rows of these ids the scan lacks, by id (one that does not come back from a
        subscription outside the scan is a gap)."""
        lacking = [r for r in dnsrefs.missing(wanted, self.everything()) if r not in self.asked]
        if lacking:
            self.asked.update(lacking)
            jobs = dnsrefs.by_id_jobs(lacking, what)
            self.got += self._new(self.run(jobs, what, lacking, self.zones))

    def reach_all(self, vnet_ids: Iterable[str]) -> dict[str, str]:
        """These VNets, their Connected peers and the VNets they reach through Virtual WAN
        (lower-cased id -> id); the VNets themselves are read first."""
        vnet_ids = list(vnet_ids)
        self.fetch(vnet_ids, "VNets that DNS servers are in")
        vnets, everything = self.vnets(), self.everything()
        out: dict[str, str] = {}
        for vnet in vnet_ids:
            out.setdefault(ids.norm(vnet), vnet)
            for peer in peers(vnets.get(ids.norm(vnet)) or {}):
                out.setdefault(ids.norm(peer), peer)
            for key, far in dnsrefs.vwan_reach(everything, [vnet]).items():
                out.setdefault(key, far)
        return out

    def hub_reach(self, hub: str) -> dict[str, str]:
        """The VNets connected to virtual hub ``hub`` or to another hub of its WAN."""
        everything = self.everything()
        wan_of = {
            ids.norm(h["id"]): ids.norm(vwan.hub_wan(h))
            for h in _typed(everything, vwan.VIRTUAL_HUB)
        }
        wan = wan_of.get(ids.norm(hub), "")
        out: dict[str, str] = {}
        for conn in _typed(everything, vwan.HUB_CONNECTION):
            parent, vnet = ids.norm(vwan.connection_hub(conn)), vwan.connection_vnet(conn)
            if vnet and (parent == ids.norm(hub) or (wan and wan_of.get(parent) == wan)):
                out.setdefault(ids.norm(vnet), vnet)
        return out

    def holders(self, candidates: dict[str, str], servers: list[str]) -> list[str]:
        """The candidate VNets (read first) whose address space holds one of ``servers``."""
        self.fetch(candidates.values(), "VNets that DNS servers are in")
        vnets = self.vnets()
        return [
            v
            for k, v in candidates.items()
            if any(vnet_holds(vnets.get(k) or {}, ip) for ip in servers)
        ]

    def search(self, vnet_ids: Iterable[str], hub_ids: Iterable[str] = ()) -> None:
        """The resolvers, firewalls and rulesets of these VNets and the firewalls of these
        hubs, then the resolvers' inbound endpoints and the firewalls' policies."""
        outside = {ids.norm(v) for v in dnsrefs.outside(list(vnet_ids), self.readable)}
        todo = [
            v
            for v in dict.fromkeys(vnet_ids)
            if ids.norm(v) not in self.searched
            and (ids.norm(v) not in self.scanned_ids or ids.norm(v) in outside)
        ]
        hubs = [h for h in dict.fromkeys(hub_ids) if "hub:" + ids.norm(h) not in self.searched]
        self.searched.update(ids.norm(v) for v in todo)
        self.searched.update("hub:" + ids.norm(h) for h in hubs)
        jobs = dnsrefs.network_jobs(todo) + hub_firewall_jobs(hubs)
        if jobs:
            places = {ids.norm(v) for v in todo} | {ids.norm(h) for h in hubs}
            found = self._new(self.run(jobs, "DNS servers the spokes name", [], self.zones))
            self.got += [
                r
                for r in found
                if str(r.get("type") or "").lower() != FIREWALL
                or ids.norm(firewall_place(r)[0]) in places
            ]
        self.details()

    def details(self) -> None:
        """The inbound endpoints of the resolvers and the policies of the firewalls read here."""
        resolvers = [
            str(r["id"])
            for r in _typed(self.got, RESOLVER)
            if "endpoints:" + ids.norm(r["id"]) not in self.asked
        ]
        self.asked.update("endpoints:" + ids.norm(r) for r in resolvers)
        policies = [
            p
            for p in dnsrefs.missing(
                (id_at(row_props(f), "firewallPolicy", "id") for f in _typed(self.got, FIREWALL)),
                self.everything(),
            )
            if p not in self.asked
        ]
        self.asked.update(policies)
        jobs = dnsrefs.endpoint_jobs(resolvers) + dnsrefs.by_id_jobs(policies, "firewall policies")
        if jobs:
            what = "inbound endpoints and firewall policies"
            self.got += self._new(self.run(jobs, what, policies, self.zones))

    # ---------------------------------------------------------------- following

    def spokes(self) -> None:
        """1. The VNets and hubs holding the solution VNets' custom DNS servers."""
        vnets = self.vnets()
        hubs = _typed(self.everything(), vwan.VIRTUAL_HUB)
        places: dict[str, str] = {}
        hub_ids: dict[str, str] = {}
        for spoke in self.solution:
            servers = dns_servers(vnets.get(ids.norm(spoke)) or {})
            if not servers:
                continue
            for vnet in self.holders(self.reach_all([spoke]), servers):
                places.setdefault(ids.norm(vnet), vnet)
            for hub in hubs:
                if any(hub_holds(hub, ip) for ip in servers):
                    hub_ids.setdefault(ids.norm(hub["id"]), str(hub["id"]))
        if places or hub_ids:
            self.search(places.values(), hub_ids.values())

    def proxies(self) -> None:
        """2. The VNets holding the servers DNS proxy firewalls forward to, among those each
        firewall reaches."""
        everything = self.everything()
        policies = {ids.norm(p["id"]): p for p in _typed(everything, FIREWALL_POLICY)}
        places: dict[str, str] = {}
        for firewall in _typed(everything, FIREWALL):
            policy = policies.get(ids.norm(id_at(row_props(firewall), "firewallPolicy", "id")))
            servers = proxy_servers(firewall, policy)
            place, in_hub = firewall_place(firewall)
            if not servers or not place:
                continue
            reach = self.hub_reach(place) if in_hub else self.reach_all([place])
            for vnet in self.holders(reach, servers):
                places.setdefault(ids.norm(vnet), vnet)
        if places:
            self.search(places.values())

    def rulesets(self) -> None:
        """3. The rulesets linked to solution VNets that need one, their rules and resolvers,
        and the VNets holding the rules' targets."""
        needing = self.azure_dns_unlinked()
        if not needing:
            return
        found = self.run(ruleset_jobs(), "DNS forwarding rulesets", [], self.zones)
        new = _typed(self._new(found), RULESET)
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
        if not linked:
            return
        rules = self._new(self.list_children(linked, "forwardingRules", self.touched))
        self.got += rules
        resolvers = [
            ids.parent_of_child(id_at(endpoint, "id"), OUTBOUND_SEGMENT)
            for ruleset in linked
            for endpoint in get_key(row_props(ruleset), "dnsResolverOutboundEndpoints") or []
        ]
        self.fetch([r for r in resolvers if r], "DNS resolvers of forwarding rulesets")
        known = {ids.norm(r["id"]): r for r in _typed(self.everything(), RESOLVER)}
        origins = [
            id_at(row_props(known[ids.norm(r)]), "virtualNetwork", "id")
            for r in resolvers
            if ids.norm(r) in known
        ]
        targets = [
            ip
            for rule in rules
            for target in get_key(row_props(rule), "targetDnsServers") or []
            if (ip := canonical_ip(id_at(target, "ipAddress")))
        ]
        origins = [o for o in origins if o]
        self.search([*origins, *self.holders(self.reach_all(origins), targets)])

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
            for link in _typed(self.everything(), inventory.VNET_LINK)
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


__all__ = [
    "collect",
    "dns_servers",
    "firewall_place",
    "hub_firewall_jobs",
    "hub_holds",
    "proxy_servers",
    "ruleset_jobs",
    "vnet_holds",
]
