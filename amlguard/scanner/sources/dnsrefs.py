"""What DNS resolution (AMLG-301 cases b and c) needs from outside the scan, and how to ask.

Landing zones keep the resolver, the firewall and the forwarding rulesets in a connectivity
subscription the scan may not cover. A verdict there needs, for the scanned instances only:

1. the solution VNets (their ``dhcpOptions.dnsServers`` and peerings), by id;
2. the VNets that could answer for them: linked to a zone an instance's endpoints use **and**
   the solution VNet itself or peered to it (``Connected``), by id;
3. in those VNets, outside the scan: DNS Private Resolvers (by ``properties.virtualNetwork.id``),
   Azure Firewalls and DNS forwarding rulesets (in the VNets' resource groups: a firewall lives
   in its VNet's resource group), then the resolvers' inbound endpoints and the firewalls'
   policies, by id;
4. the virtual network links of those rulesets, and the forwarding rules of the ones linked
   to a solution VNet (ARM lists: Resource Graph does not index them).

When a solution VNet asks custom DNS servers, Virtual WAN hubs may be how it reaches them: a
spoke's row does not name its hub, so the virtual hubs and WANs of every readable subscription
come from one Resource Graph query, and the VNet connections of those hubs from ARM lists
(Resource Graph indexes ``virtualhubs`` but not ``hubvirtualnetworkconnections``); the VNets
the solution VNets reach through them join the candidates of step 2.

Each step is a handful of Resource Graph queries (or ARM lists) run concurrently; a query that
fails, or an id that does not come back, is a gap naming it, so the finding is ``error``,
never a silent ``fail`` or pass.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Protocol

from amlguard.scanner import ids, inventory, vwan, vwanroutes
from amlguard.scanner.context import Undeterminable
from amlguard.scanner.dns import FIREWALL, INBOUND_ENDPOINT, RESOLVER, RULESET
from amlguard.scanner.instances import InstanceSettings, build_instances
from amlguard.scanner.inventory import Inventory
from amlguard.scanner.paths import get_key
from amlguard.scanner.sources import kql
from amlguard.scanner.sources.narrowgaps import Narrow
from amlguard.scanner.sources.query import Scope
from amlguard.scanner.targets import SELECTORS

Row = dict[str, Any]
Job = tuple[str, str, Scope]
#: the ids of the resources whose findings need a read (computed only when the read fails)
Touched = Callable[[], Iterable[str]]


class RunJobs(Protocol):
    """Runs Resource Graph jobs concurrently under a progress phase (``named``: the ids asked
    for by id, so that one that does not come back from outside the scan is a gap; ``narrow``:
    what a failed job touches, when not everything in its subscriptions): the rows returned."""

    def __call__(
        self, jobs: list[Job], phase: str, named: list[str], narrow: Narrow | None = None
    ) -> list[Row]: ...


class ListChildren(Protocol):
    """Lists ARM children of rows (parent rows, segment; ``touched``: what a failed listing
    touches): the child rows."""

    def __call__(self, parents: list[Row], segment: str, touched: Touched) -> list[Row]: ...


CHUNK = 50  # ids (or VNets) per query: keeps the query text short


def row_props(row: Any) -> dict[str, Any]:
    """A row's ``properties`` object ({} when absent or not an object)."""
    p = row.get("properties") if isinstance(row, dict) else None
    if p is None and isinstance(row, dict):  # any casing, as ARM reads property names
        p = get_key(row, "properties")
    return p if isinstance(p, dict) else {}


def id_at(value: Any, *names: str) -> str:
    """The id string at ``value[names[0]][names[1]]...`` ("" when any step is missing)."""
    for name in names:  # property names in any casing, as ARM reads them
        value = get_key(value, name) if isinstance(value, dict) else None
    return value.strip() if isinstance(value, str) else ""


def _typed(rows: Iterable[Row], rtype: str) -> list[Row]:
    return [r for r in rows if str(r.get("type") or "").lower() == rtype]


def solution_vnets(rows: list[Row], settings: InstanceSettings) -> list[str]:
    """The solution VNet ids of the instances these rows make (once each, stable order)."""
    found: dict[str, str] = {}
    for inst in build_instances(Inventory(rows), settings):
        if inst.solution_vnet:
            found.setdefault(ids.norm(inst.solution_vnet), inst.solution_vnet)
    return sorted(found.values(), key=ids.norm)


def connected_peers(vnet: Row) -> list[str]:
    """The remote VNets of a VNet's ``Connected`` peerings, whether or not they pass traffic
    (``allowVirtualNetworkAccess``): a judgement names the DNS servers of a peer it does not
    reach, so a live scan reads them as a snapshot of everything holds them (the reach tests,
    :mod:`amlguard.scanner.peerings`, decide whether a peering is a path)."""
    out = []
    for peering in get_key(row_props(vnet), "virtualNetworkPeerings") or []:
        props = row_props(peering)
        remote = id_at(props, "remoteVirtualNetwork", "id")
        if remote and str(get_key(props, "peeringState") or "").lower() == "connected":
            out.append(remote)
    return out


def zone_link_vnets(rows: list[Row]) -> dict[str, str]:
    """VNets (lower-cased id -> id) linked to a private DNS zone some zone group uses."""
    used: set[str] = set()
    for group in _typed(rows, inventory.DNS_ZONE_GROUP):
        for cfg in get_key(row_props(group), "privateDnsZoneConfigs") or []:
            zone = id_at(row_props(cfg), "privateDnsZoneId")
            if zone:
                used.add(ids.norm(zone))
    out: dict[str, str] = {}
    for link in _typed(rows, inventory.VNET_LINK):
        zone = ids.norm(ids.parent_of_child(str(link.get("id") or ""), "virtualNetworkLinks"))
        vnet = id_at(row_props(link), "virtualNetwork", "id")
        if zone in used and vnet:
            out.setdefault(ids.norm(vnet), vnet)
    return out


def custom_dns(vnet: Row) -> bool:
    """Whether a VNet's clients ask custom DNS servers (``dhcpOptions.dnsServers``)."""
    servers = get_key(row_props(vnet), "dhcpOptions")
    servers = get_key(servers, "dnsServers") if isinstance(servers, dict) else None
    return isinstance(servers, list) and bool(servers)


def resolution_findings(
    rows: list[Row], settings: InstanceSettings, *, vwan_only: bool = False, vnets: bool = False
) -> list[str]:
    """The resources whose findings read what DNS resolution reads: the private DNS zones the
    instances' endpoints use (judged per solution VNet) and, with ``vnets``, the solution VNets
    themselves. ``vwan_only``: only the zones of instances whose solution VNet asks custom DNS
    servers and is connected to a Virtual WAN hub (its hub peering): no other judgement reads a
    hub, and a VNet with no hub peering reaches no VNet through one."""
    inv = Inventory(rows)
    select = SELECTORS.get("instanceDnsZones")
    out: dict[str, str] = {}
    for inst in build_instances(inv, settings):
        if not inst.solution_vnet or select is None:
            continue
        vnet = inv.get(inst.solution_vnet)
        if vwan_only and vnet is not None and not (custom_dns(vnet) and vwan.hub_peering(vnet)):
            continue
        if vnets:
            out.setdefault(ids.norm(inst.solution_vnet), inst.solution_vnet)
        for target in select(inst, inv, {}).targets:
            out.setdefault(ids.norm(target.id), target.id)
    return sorted(out.values(), key=ids.norm)


def hub_jobs() -> list[Job]:
    """The virtual hubs and virtual WANs of every readable subscription (one query)."""
    text = kql.resources([vwan.VIRTUAL_HUB, vwan.VIRTUAL_WAN])
    return [("virtual WAN hubs", text, Scope())]


def vwan_reach(rows: list[Row], solution: Iterable[str]) -> dict[str, str]:
    """VNets (lower-cased id -> id) connected to the Virtual WAN hubs (or their WANs' other
    hubs) the solution VNets are connected to: the ones they may reach, reachable or not."""
    wanted = (vwan.VIRTUAL_HUB, vwan.VIRTUAL_WAN, vwan.HUB_CONNECTION)
    small = Inventory([r for r in rows if str(r.get("type") or "").lower() in wanted])
    out: dict[str, str] = {}
    for vnet in solution:
        for far in vwan.related(small, vnet):
            out.setdefault(ids.norm(far), far)
    return out


def _hubs(
    rows: list[Row],
    solution: list[str],
    settings: InstanceSettings,
    run: RunJobs,
    list_children: ListChildren,
) -> list[Row]:
    """Virtual hubs and WANs outside ``rows``, and every hub's VNet connections, when a
    solution VNet asks custom DNS servers (else nothing: Azure DNS needs no reach). Unread,
    they touch only the zones of the solution VNets connected to a hub."""
    vnets = {ids.norm(r["id"]): r for r in _typed(rows, inventory.VNET)}
    if not any(custom_dns(vnets.get(ids.norm(s)) or {}) for s in solution):
        return []

    def touched() -> list[str]:
        return resolution_findings(rows, settings, vwan_only=True)

    have = {ids.norm(r.get("id")) for r in rows}
    found = run(hub_jobs(), "virtual WAN hubs", [], lambda _job: touched())
    got = [r for r in found if ids.norm(r.get("id")) not in have]
    hubs = _typed(rows + got, vwan.VIRTUAL_HUB)
    if hubs:
        got += list_children(hubs, vwan.HUB_CONNECTIONS_SEGMENT, touched)
    # the custom route tables connections are associated with: their labels decide which
    # connections propagate to them (vwanroutes); default tables need no read
    custom = _custom_table_hubs(_typed(rows + got, vwan.HUB_CONNECTION), rows + got)
    if custom:
        got += list_children(custom, vwanroutes.ROUTE_TABLES_SEGMENT, touched)
    return got


def _custom_table_hubs(connections: list[Row], rows: list[Row]) -> list[Row]:
    """The hubs (rows) of the custom route tables ``connections`` are associated with whose
    rows are not in ``rows``."""
    have = {ids.norm(r.get("id")) for r in rows}
    hubs = {ids.norm(r.get("id")): r for r in _typed(rows, vwan.VIRTUAL_HUB)}
    wanted: dict[str, Row] = {}
    for conn in connections:
        try:
            table = vwanroutes.routing(conn)[0]
        except Undeterminable:
            continue
        name = ids.short_name(table).lower()
        if name in (vwanroutes.DEFAULT_TABLE, vwanroutes.NONE_TABLE) or ids.norm(table) in have:
            continue
        hub = ids.norm(ids.parent_of_child(table, vwanroutes.ROUTE_TABLES_SEGMENT))
        if hub in hubs:
            wanted.setdefault(hub, hubs[hub])
    return list(wanted.values())


def missing(wanted: Iterable[str], rows: list[Row]) -> list[str]:
    """The ids of ``wanted`` no row has (once each)."""
    have = {ids.norm(r.get("id")) for r in rows}
    out: dict[str, str] = {}
    for rid in wanted:
        if rid and ids.norm(rid) not in have:
            out.setdefault(ids.norm(rid), rid)
    return sorted(out.values(), key=ids.norm)


def outside(resource_ids: Iterable[str], readable: Iterable[str]) -> list[str]:
    """The ids whose subscription the scan did not cover."""
    inside = {s.lower() for s in readable}
    return [r for r in resource_ids if ids.parse(r).subscription_id.lower() not in inside]


def chunks(items: list[str], size: int = CHUNK) -> list[list[str]]:
    """``items`` in slices of at most ``size``."""
    return [items[i : i + size] for i in range(0, len(items), size)]


def _scope(resource_ids: Iterable[str]) -> Scope:
    subs = {ids.parse(r).subscription_id for r in resource_ids}
    return Scope(tuple(sorted(subs, key=str.lower)))


def _project(query: str) -> str:
    return query + " | project " + ", ".join(kql.RESOURCE_COLUMNS)


def by_id_jobs(resource_ids: list[str], what: str) -> list[Job]:
    """``id in~`` queries for these ids, each sent to the subscriptions that hold them."""
    return [(what, kql.resources_by_id(chunk), _scope(chunk)) for chunk in chunks(resource_ids)]


def network_jobs(vnet_ids: list[str]) -> list[Job]:
    """Resolvers in these VNets, and the firewalls and forwarding rulesets of their resource
    groups, per subscription."""
    jobs: list[Job] = []
    by_sub: dict[str, list[str]] = {}
    for vnet in vnet_ids:
        by_sub.setdefault(ids.parse(vnet).subscription_id.lower(), []).append(vnet)
    for vnets in by_sub.values():
        for chunk in chunks(sorted(vnets, key=ids.norm)):
            wanted = "(" + ", ".join(kql.quote(ids.norm(v)) for v in chunk) + ")"
            resolvers = _project(
                f"resources | where type =~ {kql.quote(RESOLVER)}"
                f" | where tolower(tostring(properties.virtualNetwork.id)) in~ {wanted}"
            )
            groups = sorted({ids.parse(v).resource_group for v in chunk}, key=str.lower)
            jobs.append(("DNS resolvers", resolvers, _scope(chunk)))
            nearby = kql.resources([FIREWALL, RULESET], groups)
            jobs.append(("firewalls and rulesets", nearby, _scope(chunk)))
    return jobs


def endpoint_jobs(resolver_ids: list[str]) -> list[Job]:
    """The inbound endpoints of these resolvers (``startswith`` ignores case)."""
    jobs: list[Job] = []
    for chunk in chunks(resolver_ids):
        under = " or ".join(
            f"id startswith {kql.quote(r.rstrip('/') + '/inboundEndpoints/')}" for r in chunk
        )
        text = _project(f"resources | where type =~ {kql.quote(INBOUND_ENDPOINT)} | where {under}")
        jobs.append(("DNS resolver inbound endpoints", text, _scope(chunk)))
    return jobs


def _in_vnets(firewall: Row, vnets: set[str]) -> bool:
    for cfg in get_key(row_props(firewall), "ipConfigurations") or []:
        subnet = id_at(row_props(cfg), "subnet", "id")
        if subnet and ids.norm(ids.vnet_of_subnet(subnet)) in vnets:
            return True
    return False


def collect(
    rows: list[Row],
    settings: InstanceSettings,
    readable: Iterable[str],
    run: RunJobs,
    list_children: ListChildren,
) -> list[Row]:
    """The rows outside the scan that DNS resolution needs (see the module docstring)."""
    readable = list(readable)
    got: list[Row] = []
    solution = solution_vnets(rows, settings)
    linked = zone_link_vnets(rows)
    memo: dict[bool, list[str]] = {}

    def touched(vnets: bool = False) -> list[str]:
        """The zones (and solution VNets) a failed read touches, computed once."""
        if vnets not in memo:
            memo[vnets] = resolution_findings(rows, settings, vnets=vnets)
        return memo[vnets]

    def zones(_job: Job) -> list[str]:
        return touched()

    # 1. the solution VNets, and the zone-linked VNets that are solution VNets' peers, by id
    first = missing(solution, rows)
    if first:
        jobs = by_id_jobs(first, "solution VNets")
        got += run(jobs, "solution VNets", first, lambda _job: touched(vnets=True))
    got += _hubs(rows + got, solution, settings, run, list_children)
    everything = rows + got
    vnets = {ids.norm(r["id"]): r for r in _typed(everything, inventory.VNET)}
    candidates = {ids.norm(s): s for s in solution}
    for s in solution:
        for peer in connected_peers(vnets.get(ids.norm(s)) or {}):
            candidates.setdefault(ids.norm(peer), peer)
    for key, reached in vwan_reach(everything, solution).items():
        candidates.setdefault(key, reached)
    answering = sorted((v for k, v in candidates.items() if k in linked), key=ids.norm)
    peers = missing(answering, everything)
    if peers:
        got += run(by_id_jobs(peers, "peered VNets"), "peered VNets", peers, zones)
    # 2. resolvers, firewalls and rulesets of the answering VNets the scan did not cover
    scanned = {ids.norm(r.get("id")) for r in rows}
    far = [v for v in answering if ids.norm(v) not in scanned]
    far += [v for v in outside(answering, readable) if v not in far]
    if not far:
        return got
    found = run(network_jobs(far), "DNS resolvers and firewalls", [], zones)
    keep = {ids.norm(v) for v in far}
    found = [r for r in found if str(r.get("type") or "").lower() != FIREWALL or _in_vnets(r, keep)]
    got += found
    # 3. the resolvers' inbound endpoints and the firewalls' policies, by id
    everything = rows + got
    resolvers = [str(r["id"]) for r in _typed(found, RESOLVER)]
    policies = missing(
        (id_at(row_props(f), "firewallPolicy", "id") for f in _typed(found, FIREWALL)), everything
    )
    jobs = endpoint_jobs(resolvers) + by_id_jobs(policies, "firewall policies")
    if jobs:
        got += run(jobs, "inbound endpoints and firewall policies", policies, zones)
    # 4. ruleset links, and the rules of the rulesets linked to a solution VNet
    rulesets = _typed(found, RULESET)
    if rulesets:
        links = list_children(rulesets, "virtualNetworkLinks", touched)
        got += links
        mine = {ids.norm(s) for s in solution}
        linked_sets = {
            ids.norm(ids.parent_of_child(str(link["id"]), "virtualNetworkLinks"))
            for link in links
            if ids.norm(id_at(row_props(link), "virtualNetwork", "id")) in mine
        }
        wanted = [r for r in rulesets if ids.norm(r["id"]) in linked_sets]
        if wanted:
            got += list_children(wanted, "forwardingRules", touched)
    return got


__all__ = [
    "collect",
    "connected_peers",
    "custom_dns",
    "hub_jobs",
    "resolution_findings",
    "solution_vnets",
    "vwan_reach",
    "zone_link_vnets",
]
