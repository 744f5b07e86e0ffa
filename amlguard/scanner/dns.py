"""DNS that resolves, not only DNS that is linked (AMLG-301, real-estates 4.2).

A private DNS zone Z answers for clients in the solution VNet S when one of these holds:

(a) Z is linked to S, and S uses Azure-provided DNS (no ``dhcpOptions.dnsServers``) or DNS
    servers that sit in S's own address space;
(b) every custom DNS server of S is attributable to a VNet V that Z is linked to and that S
    reaches (V is S, or a ``Connected`` peering joins them): an Azure DNS Private Resolver
    inbound endpoint, an Azure Firewall with DNS proxy enabled, or a ``trusted_dns_servers``
    entry (forwarders amlguard cannot see: DNS VMs, appliances, on-premises servers);
(c) S uses Azure-provided DNS and is linked to a DNS forwarding ruleset with an ``Enabled``
    rule for Z's name (or a parent suffix) whose targets are all inbound endpoints that resolve
    Z as in (b).

Custom DNS servers nobody can attribute make the zone fail even when it is linked to S (the
clients ask those servers, not Azure DNS). Everything here is an index over the inventory,
built once per scan.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

from amlguard.scanner import ids
from amlguard.scanner.conditions import related_source
from amlguard.scanner.context import EvalContext, Undeterminable
from amlguard.scanner.dnsservers import servers_of
from amlguard.scanner.inventory import VNET, Inventory, Row
from amlguard.scanner.paths import MISSING, get_key

INBOUND_ENDPOINT = "microsoft.network/dnsresolvers/inboundendpoints"
RESOLVER = "microsoft.network/dnsresolvers"
RULESET = "microsoft.network/dnsforwardingrulesets"
RULESET_LINK = "microsoft.network/dnsforwardingrulesets/virtualnetworklinks"
FORWARDING_RULE = "microsoft.network/dnsforwardingrulesets/forwardingrules"
FIREWALL = "microsoft.network/azurefirewalls"
FIREWALL_POLICY = "microsoft.network/firewallpolicies"
#: the virtual public IP of Azure-provided DNS
AZURE_DNS = "168.63.129.16"
#: the row types resolution reads besides zones, links and VNets
RESOLUTION_TYPES = (
    VNET,
    RESOLVER,
    INBOUND_ENDPOINT,
    RULESET,
    RULESET_LINK,
    FORWARDING_RULE,
    FIREWALL,
    FIREWALL_POLICY,
)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _props(row: Any) -> dict[str, Any]:
    return _dict(get_key(row, "properties"))


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _ip(text: str) -> str:
    """An IP address in its canonical spelling ("" when it is not one)."""
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return ""


@dataclass
class _Index:
    """DNS servers by IP -> the VNets they resolve for, and rulesets by linked VNet."""

    #: ip -> [(what it is, the VNet whose linked zones it answers)]
    servers: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    #: lower-cased VNet id -> [(ruleset id, rules [(domain, enabled, [target ips])])]
    rulesets: dict[str, list[tuple[str, list[tuple[str, bool, list[str]]]]]] = field(
        default_factory=dict
    )
    #: ip -> (firewall, policy id) of firewalls whose policy is not in the inventory: whether
    #: their DNS proxy is on cannot be read
    unread_policies: dict[str, tuple[str, str]] = field(default_factory=dict)


def _index(inv: Inventory) -> _Index:
    memo = inv.memo.setdefault("dnsResolution", {})
    found = memo.get("index")
    if found is None:
        found = memo["index"] = _build(inv)
    return found


def _build(inv: Inventory) -> _Index:
    idx = _Index()
    for endpoint in inv.of_type(INBOUND_ENDPOINT):
        resolver = inv.get(ids.parent_of_child(str(endpoint["id"]), "inboundEndpoints"))
        resolver_vnet = _text(_dict(_props(resolver).get("virtualNetwork")).get("id"))
        for cfg in _list(_props(endpoint).get("ipConfigurations")):
            ip = _ip(_text(get_key(cfg, "privateIpAddress")))
            subnet = _text(_dict(get_key(cfg, "subnet")).get("id"))
            vnet = resolver_vnet or ids.vnet_of_subnet(subnet)
            if ip and vnet:
                label = f"DNS Private Resolver inbound endpoint {ids.short_name(endpoint['id'])}"
                idx.servers.setdefault(ip, []).append((label, vnet))
    proxies = {ids.norm(p["id"]) for p in inv.of_type(FIREWALL_POLICY) if _proxy_policy(p)}
    for firewall in inv.of_type(FIREWALL):
        props = _props(firewall)
        policy = _text(_dict(props.get("firewallPolicy")).get("id"))
        classic = str(_dict(props.get("additionalProperties")).get("Network.DNS.EnableProxy"))
        unread = bool(policy) and inv.get(policy) is None
        if ids.norm(policy) not in proxies and classic.lower() != "true" and not unread:
            continue
        for cfg in _list(props.get("ipConfigurations")):
            cprops = _props(cfg)
            ip = _ip(_text(cprops.get("privateIPAddress")))
            vnet = ids.vnet_of_subnet(_text(_dict(cprops.get("subnet")).get("id")))
            if ip and vnet and unread and classic.lower() != "true":
                idx.unread_policies[ip] = (str(firewall["id"]), policy)
            elif ip and vnet:
                label = f"Azure Firewall DNS proxy {ids.short_name(firewall['id'])}"
                idx.servers.setdefault(ip, []).append((label, vnet))
    rules: dict[str, list[tuple[str, bool, list[str]]]] = {}
    for rule in inv.of_type(FORWARDING_RULE):
        props = _props(rule)
        parent = ids.norm(ids.parent_of_child(str(rule["id"]), "forwardingRules"))
        targets = [
            _ip(_text(get_key(t, "ipAddress"))) for t in _list(props.get("targetDnsServers"))
        ]
        enabled = str(props.get("forwardingRuleState") or "Enabled").lower() == "enabled"
        written = _text(props.get("domainName")).strip().lower()
        if not written:
            continue  # no domain: the rule matches nothing (ARM refuses it anyway)
        # "." is the wildcard rule: it matches every name (domain "" below)
        rules.setdefault(parent, []).append((written.rstrip("."), enabled, targets))
    for link in inv.of_type(RULESET_LINK):
        ruleset = ids.parent_of_child(str(link["id"]), "virtualNetworkLinks")
        vnet = _text(_dict(_props(link).get("virtualNetwork")).get("id"))
        if ruleset and vnet:
            entry = (ruleset, rules.get(ids.norm(ruleset), []))
            idx.rulesets.setdefault(ids.norm(vnet), []).append(entry)
    return idx


def _proxy_policy(policy: Row) -> bool:
    settings = _dict(_props(policy).get("dnsSettings"))
    return settings.get("enableProxy") is True or str(settings.get("enableProxy")).lower() == "true"


def _trusted(value: Any) -> dict[str, str]:
    """``trusted_dns_servers`` entries: ip -> VNet id (a bad entry is a clear error)."""
    out: dict[str, str] = {}
    for entry in _list(value):
        ip = _ip(_text(get_key(entry, "ip")))
        vnet = _text(get_key(entry, "vnet"))
        if not ip or not vnet.lower().startswith("/subscriptions/"):
            raise Undeterminable(
                f"trusted_dns_servers entry {entry!r} needs an 'ip' address and the 'vnet' id "
                "whose linked zones it resolves"
            )
        out[ip] = vnet
    return out


def _in_scopes(resource_id: str, scopes: Any) -> bool:
    return any(
        isinstance(s, str) and s.strip() and ids.covers(s.strip(), resource_id)
        for s in _list(scopes)
    )


class _Judge:
    """Resolution of one zone in one VNet, with the words a finding needs."""

    def __init__(self, ctx: EvalContext, zone_id: str, vnet_id: str, trusted: Any) -> None:
        self.inv = ctx.inventory
        self.zone_id = zone_id
        self.zone_name = ids.short_name(zone_id).lower()
        self.vnet_id = vnet_id
        self.vnet = self.inv.get(vnet_id)
        self.idx = _index(self.inv)
        self.trusted = _trusted(trusted)

    def linked(self, vnet: str) -> bool:
        key = (ids.norm(self.zone_id), ids.norm(vnet))
        return bool(self.inv.links_by_zone_and_vnet.get(key))

    def reaches(self, vnet: str) -> bool:
        """S is V, or S has a Connected peering to V."""
        if ids.norm(vnet) == ids.norm(self.vnet_id):
            return True
        for peering in _list(_props(self.vnet).get("virtualNetworkPeerings")):
            props = _props(peering)
            remote = _text(_dict(props.get("remoteVirtualNetwork")).get("id"))
            state = str(props.get("peeringState") or "").lower()
            if ids.norm(remote) == ids.norm(vnet) and state == "connected":
                return True
        return False

    def in_own_space(self, ip: str) -> bool:
        prefixes = _list(_dict(_props(self.vnet).get("addressSpace")).get("addressPrefixes"))
        for prefix in prefixes:
            try:
                if ipaddress.ip_address(ip) in ipaddress.ip_network(str(prefix), strict=False):
                    return True
            except ValueError:
                continue
        return False

    def server_problem(self, ip: str) -> str | None:
        """None when DNS server ``ip`` resolves the zone for S; else why not, in words."""
        if ip == AZURE_DNS:  # Azure-provided DNS named explicitly: S's own links answer
            return None if self.linked(self.vnet_id) else "no link to the solution VNet"
        options = list(self.idx.servers.get(ip, []))
        if ip in self.trusted:
            options.append((f"trusted DNS server {ip}", self.trusted[ip]))
        if not options:
            if self.in_own_space(ip) and self.linked(self.vnet_id):
                return None  # a DNS server in S forwards to Azure DNS, which sees S's links
            self.unreadable(ip)
            return (
                f"custom DNS server {ip} of the solution VNet is not a Private Resolver inbound "
                "endpoint, an Azure Firewall DNS proxy or a trusted_dns_servers entry"
            )
        for _label, vnet in options:
            if self.linked(vnet) and self.reaches(vnet):
                return None
        label, vnet = options[0]
        if not self.linked(vnet):
            return f"{label} ({ip}) sits in VNet {ids.short_name(vnet)}, which the zone is not linked to"
        return (
            f"{label} ({ip}) sits in VNet {ids.short_name(vnet)}, which the solution VNet is "
            "not peered to (peering Connected)"
        )

    def forwarded_problem(self, ip: str) -> str | None:
        """None when a forwarding rule's target ``ip`` resolves the zone; else why not. The
        query leaves through the ruleset's outbound endpoint, so the solution VNet need not be
        peered to the target's VNet (Private Resolver docs): the target must answer from a VNet
        the zone is linked to."""
        options = list(self.idx.servers.get(ip, []))
        if ip in self.trusted:
            options.append((f"trusted DNS server {ip}", self.trusted[ip]))
        if not options:
            if ip in self.idx.unread_policies:
                self.unreadable(ip)  # a firewall whose policy the scan could not read: error
            return (
                f"{ip} is not a Private Resolver inbound endpoint, an Azure Firewall DNS proxy "
                "or a trusted_dns_servers entry"
            )
        if any(self.linked(vnet) for _label, vnet in options):
            return None
        label, vnet = options[0]
        return (
            f"{label} ({ip}) sits in VNet {ids.short_name(vnet)}, which the zone is not linked to"
        )

    def unreadable(self, ip: str) -> None:
        """``error`` when DNS server ``ip`` may be what the scan could not read: a firewall
        whose policy is missing, or a VNet the zone is linked to and S is peered to that is
        not in the inventory (its resolvers and firewalls are unknown)."""
        if ip in self.idx.unread_policies:
            firewall, policy = self.idx.unread_policies[ip]
            raise Undeterminable(
                f"custom DNS server {ip} is Azure Firewall {ids.short_name(firewall)}, whose "
                f"policy {policy} is not in the scanned inventory (outside the scan scope or "
                "unreadable): whether its DNS proxy is on cannot be read"
            )
        unseen = [
            v
            for v in self.answering_vnets()
            if ids.norm(v) != ids.norm(self.vnet_id) and self.inv.get(v) is None
        ]
        if unseen:
            raise Undeterminable(
                f"custom DNS server {ip} may be a DNS Private Resolver inbound endpoint or "
                f"firewall in VNet {', '.join(sorted(unseen, key=ids.norm))}, which the zone is "
                "linked to and the solution VNet is peered to, but which is not in the scanned "
                "inventory (outside the scan scope or unreadable)"
            )

    def answering_vnets(self) -> list[str]:
        """The VNets linked to the zone that S reaches (S itself or a Connected peer)."""
        out = []
        for peering in _list(_props(self.vnet).get("virtualNetworkPeerings")):
            remote = _text(_dict(_props(peering).get("remoteVirtualNetwork")).get("id"))
            if remote and self.reaches(remote) and self.linked(remote):
                out.append(remote)
        return out

    def ruleset_problem(self) -> str | None:
        """None when the forwarding rule that wins for the zone sends it to servers that resolve
        it; else why not ("" when no ruleset linked to S has an enabled rule for the zone).

        Azure uses the most specific enabled rule whose domain matches (``.`` matches every
        name), so a broken specific rule is not rescued by a working broader one.
        """
        matching: list[tuple[int, str, str, list[str]]] = []
        disabled: list[str] = []
        for ruleset, rules in self.idx.rulesets.get(ids.norm(self.vnet_id), []):
            name = ids.short_name(ruleset)
            for domain, enabled, targets in rules:
                if domain and not (
                    self.zone_name == domain or self.zone_name.endswith("." + domain)
                ):
                    continue
                if not enabled:
                    disabled.append(f"forwarding rule for {domain}. in ruleset {name} is Disabled")
                    continue
                matching.append((len(domain), name, domain, targets))
        if not matching:
            return "; ".join(disabled)
        _length, name, domain, targets = max(matching, key=lambda m: m[0])
        bad = [(t or "?", self.forwarded_problem(t) if t else "no address") for t in targets]
        bad = [(t, why) for t, why in bad if why is not None]
        if targets and not bad:
            return None
        shown = f"{domain}." if domain else ". (every name)"
        if not targets:
            return f"ruleset {name} forwards {shown} to no server"
        details = "; ".join(why for _t, why in bad if why)
        return (
            f"ruleset {name} forwards {shown} (the most specific enabled rule for the zone) to "
            f"{', '.join(t for t, _why in bad)}, which does not resolve the zone: {details}"
        )


@related_source("dnsResolution")
def dns_resolution(
    ctx: EvalContext, vnet: Any = None, trusted: Any = None, central: Any = None, mode: Any = None
) -> list[Any]:
    """Why the judged private DNS zone does not resolve in VNet ``vnet``: [] when it does;
    else one item whose ``id`` says, in words, which link or path is missing."""
    zone_id = str(ctx.resource["id"])
    if ctx.inventory.get(zone_id) is None:
        raise Undeterminable(
            f"private DNS zone {ids.short_name(zone_id)} is not in the scanned inventory "
            "(outside the scan scope or deleted); if a central team manages it, add its "
            "resource group or subscription to central_dns_scopes"
        )
    if not isinstance(vnet, str) or not vnet:
        return [{"id": "no solution VNet"}]
    judge = _Judge(ctx, zone_id, vnet, trusted)
    if str(mode or "auto").lower() == "link_only":
        return [] if judge.linked(vnet) else [{"id": "no link to the solution VNet"}]
    if judge.vnet is None:
        raise Undeterminable(
            f"solution VNet {vnet} is not in the scanned inventory (outside the scan scope or "
            "unreadable): which DNS servers its clients ask cannot be read"
        )
    servers = servers_of(ctx.inventory, judge.vnet, _ip)
    if not servers:  # Azure-provided DNS: a link (a), or a forwarding ruleset (c)
        if judge.linked(vnet):
            return []
        why = judge.ruleset_problem()
        if why is None:
            return []
        return [
            {
                "id": why
                or "the zone is not linked to the solution VNet, and no DNS forwarding ruleset "
                "linked to it forwards the zone to a resolver"
            }
        ]
    problems = [p for p in (judge.server_problem(s) for s in servers) if p]
    return [{"id": p} for p in problems]


@related_source("centrallyManaged")
def centrally_managed(ctx: EvalContext, scopes: Any = None) -> list[Any]:
    """[the zone] when the judged zone is outside the scan and under a ``central_dns_scopes``
    entry (its links and resolvers are a central team's business); [] otherwise."""
    zone_id = str(ctx.resource["id"])
    if ctx.inventory.get(zone_id) is None and _in_scopes(zone_id, scopes):
        return [{"id": zone_id}]
    return []


__all__ = ["MISSING", "RESOLUTION_TYPES", "centrally_managed", "dns_resolution"]
