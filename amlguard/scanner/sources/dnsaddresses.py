"""Row readers for following DNS server addresses beyond the zone-linked VNets
(:mod:`dnsbeyond`, AMLG-301 live): a VNet's custom DNS servers, a DNS proxy firewall's servers
and where it sits, a VNet's peers, the addresses an inbound endpoint or firewall answers on,
and the tenant-wide queries that look them up. Read leniently: they say what to fetch, never a
verdict (the judgement reads the same rows strictly)."""

from __future__ import annotations

from collections.abc import Iterable

from amlguard.scanner import dnsproxy, ids, vwan
from amlguard.scanner.context import Undeterminable
from amlguard.scanner.dns import FIREWALL, INBOUND_ENDPOINT, RULESET
from amlguard.scanner.dnsindex import canonical_ip
from amlguard.scanner.paths import get_key
from amlguard.scanner.sources import dnsrefs, kql
from amlguard.scanner.sources.dnsrefs import Job, Row, id_at, row_props
from amlguard.scanner.sources.query import Scope


def typed(rows: Iterable[Row], rtype: str) -> list[Row]:
    return [r for r in rows if str(r.get("type") or "").lower() == rtype]


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


def ruleset_jobs() -> list[Job]:
    """Every readable DNS forwarding ruleset (one query; links and rules come by ARM)."""
    return [("DNS forwarding rulesets", kql.resources([RULESET]), Scope())]


def server_jobs() -> list[Job]:
    """Every readable inbound endpoint and Azure Firewall (one query): where a DNS server
    address nothing read so far holds is looked up."""
    return [("DNS servers by address", kql.resources([INBOUND_ENDPOINT, FIREWALL]), Scope())]


def server_ips(row: Row) -> set[str]:
    """The private addresses a resolver inbound endpoint or a firewall answers DNS on."""
    out = set()
    for cfg in get_key(row_props(row), "ipConfigurations") or []:
        if isinstance(cfg, dict):
            out.add(canonical_ip(id_at(cfg, "privateIpAddress")))
            out.add(canonical_ip(id_at(row_props(cfg), "privateIPAddress")))
    written, _hub = dnsproxy.hub_address(row)
    out.add(canonical_ip(written) if written else "")
    return out - {""}


__all__ = [
    "dns_servers",
    "firewall_place",
    "peers",
    "proxy_servers",
    "ruleset_jobs",
    "server_ips",
    "server_jobs",
    "typed",
]
