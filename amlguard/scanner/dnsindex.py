"""The indexes AMLG-301's DNS resolution reads (:mod:`amlguard.scanner.dns`), built once per
scan: DNS servers by IP (Private Resolver inbound endpoints, Azure Firewall DNS proxies),
forwarding rulesets by linked VNet, and the memos that let spokes sharing one resolver or ruleset
reuse what an earlier spoke worked out."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from amlguard.scanner import dnsproxy, hopstate, ids, vwan
from amlguard.scanner.context import Undeterminable
from amlguard.scanner.inventory import VNET, Inventory, Row
from amlguard.scanner.paths import get_key
from amlguard.scanner.unknown import UnknownValue

INBOUND_ENDPOINT = "microsoft.network/dnsresolvers/inboundendpoints"
#: read for its provisioning state only (a ruleset's queries leave through it: :mod:`hopstate`)
OUTBOUND_ENDPOINT = "microsoft.network/dnsresolvers/outboundendpoints"
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
    OUTBOUND_ENDPOINT,
    RULESET,
    RULESET_LINK,
    FORWARDING_RULE,
    FIREWALL,
    FIREWALL_POLICY,
    vwan.VIRTUAL_HUB,
    vwan.VIRTUAL_WAN,
    vwan.HUB_CONNECTION,
)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _props(row: Any) -> dict[str, Any]:
    return _dict(get_key(row, "properties"))


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


@lru_cache(maxsize=4096)
def canonical_ip(text: str) -> str:
    """An IP address in its canonical spelling ("" when it is not one); a scan asks about the
    same few DNS server addresses once per zone, so the answers are kept."""
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return ""


@dataclass
class Index:
    """DNS servers by IP -> the VNets they resolve for, and rulesets by linked VNet."""

    #: ip -> [(what it is, the VNet whose linked zones it answers)]
    servers: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    #: lower-cased VNet id -> [(ruleset id, rules [(name, domain, rule row)])]
    rulesets: dict[str, list[tuple[str, list[tuple[str, str, Row]]]]] = field(default_factory=dict)
    #: ip -> [(firewall, policy id, its VNet or virtual hub, whether a hub)] of firewalls whose
    #: policy is not in the inventory: whether their DNS proxy is on cannot be read
    unread_policies: dict[str, list[tuple[str, str, str, bool]]] = field(default_factory=dict)
    #: ip -> [(what it is, its VNet, the servers it forwards to, why they cannot be read)] of
    #: firewall DNS proxies that forward to servers of their own (dnsproxy); address plans are
    #: reused between VNets that are not peered, so each is one more candidate for its IP
    #: (redteam9 item 7), as ``servers`` are
    proxies: dict[str, list[tuple[str, str, list[str], str]]] = field(default_factory=dict)
    #: ip -> [(what it is, its virtual hub, the servers it forwards to ([]: Azure-provided DNS
    #: from the hub), why they cannot be read)] of DNS proxies in secured Virtual WAN hubs
    hub_proxies: dict[str, list[tuple[str, str, list[str], str]]] = field(default_factory=dict)
    #: (ruleset id, zone name) -> the positions of the ruleset's rules whose domain matches the
    #: zone: a ruleset shared by many spokes is asked about the same few zones again and again
    matches: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    #: lower-cased VNet id -> the ruleset ids linked to it, in link order: spokes linked to
    #: the same rulesets share a key, so the rule that wins for a zone is worked out once
    ruleset_keys: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: (ruleset key, zone id, trusted servers) -> how the zone resolves through the rulesets
    #: (passes only: a failure's words and errors are worked out each time)
    ruleset_passes: dict[tuple[Any, ...], str] = field(default_factory=dict)
    #: (zone id, server ip, trusted servers) -> per answering VNet of that server: (VNet, the
    #: server in words, whether the zone is linked to the VNet); spokes that share a resolver
    #: ask about the same zones and server
    server_vnets: dict[tuple[Any, ...], tuple[tuple[str, str, str, bool], ...]] = field(
        default_factory=dict
    )
    #: (lower-cased solution VNet id, lower-cased VNet id) -> how the first reaches the
    #: second, in words (None: it does not)
    reach: dict[tuple[str, str], str | None] = field(default_factory=dict)
    #: ip -> [(what it is, its VNet or hub, whether a hub, FAILED | UNSETTLED, why)] of DNS
    #: servers a resource of which failed or is not settled (:mod:`hopstate`): each is a
    #: candidate for its IP that answers nothing (or cannot be judged), never a working one
    dead: dict[str, list[tuple[str, str, bool, str, str]]] = field(default_factory=dict)
    #: lower-cased VNet id -> [(FAILED | UNSETTLED, why)] of its forwarding ruleset links that
    #: failed or are not settled (kept out of ``rulesets``)
    ruleset_links_down: dict[str, list[tuple[str, str]]] = field(default_factory=dict)


def index(inv: Inventory) -> Index:
    """The scan's DNS index (built on first use)."""
    memo = inv.memo.get("dnsResolution")
    if memo is None:
        memo = inv.memo["dnsResolution"] = {}
    found = memo.get("index")
    if found is None:
        found = memo["index"] = _build(inv)
    return found


def _build(inv: Inventory) -> Index:
    idx = Index()
    for endpoint in inv.of_type(INBOUND_ENDPOINT):
        resolver = inv.get(ids.parent_of_child(str(endpoint["id"]), "inboundEndpoints"))
        resolver_vnet = _text(get_key(_dict(get_key(_props(resolver), "virtualNetwork")), "id"))
        broken = hopstate.first_problem(
            [
                (endpoint, hopstate.INBOUND, "it answers no DNS query"),
                (resolver, hopstate.RESOLVER, "its inbound endpoints answer no DNS query"),
            ]
        )
        for cfg in _list(get_key(_props(endpoint), "ipConfigurations")):
            ip = canonical_ip(_text(get_key(cfg, "privateIpAddress")))
            subnet = _text(get_key(_dict(get_key(cfg, "subnet")), "id"))
            vnet = resolver_vnet or ids.vnet_of_subnet(subnet)
            if ip and vnet:
                label = f"DNS Private Resolver inbound endpoint {ids.short_name(endpoint['id'])}"
                if broken[0] != hopstate.IN_PLACE:
                    idx.dead.setdefault(ip, []).append((label, vnet, False, *broken))
                    continue
                idx.servers.setdefault(ip, []).append((label, vnet))
    proxies = {ids.norm(p["id"]) for p in inv.of_type(FIREWALL_POLICY) if _proxy_policy(p)}
    for firewall in inv.of_type(FIREWALL):
        props = _props(firewall)
        policy = _text(get_key(_dict(get_key(props, "firewallPolicy")), "id"))
        classic = str(
            get_key(_dict(get_key(props, "additionalProperties")), "Network.DNS.EnableProxy")
        )
        unread = bool(policy) and inv.get(policy) is None
        switch = dnsproxy.unknown_switch(firewall, inv.get(policy))
        if switch is not None:  # whether it is a proxy is known only after deployment
            _unknown_proxy(idx, firewall, switch)
            continue
        if ids.norm(policy) not in proxies and classic.lower() != "true" and not unread:
            continue
        broken = _firewall_state(inv, firewall, policy)
        for cfg in _list(get_key(props, "ipConfigurations")):
            cprops = _props(cfg)
            ip = canonical_ip(_text(get_key(cprops, "privateIPAddress")))
            vnet = ids.vnet_of_subnet(_text(get_key(_dict(get_key(cprops, "subnet")), "id")))
            if ip and vnet and broken[0] != hopstate.IN_PLACE:
                label = f"Azure Firewall DNS proxy {ids.short_name(firewall['id'])}"
                idx.dead.setdefault(ip, []).append((label, vnet, False, *broken))
            elif ip and vnet and unread and classic.lower() != "true":
                unread_entry = (str(firewall["id"]), policy, vnet, False)
                idx.unread_policies.setdefault(ip, []).append(unread_entry)
            elif ip and vnet:
                label = f"Azure Firewall DNS proxy {ids.short_name(firewall['id'])}"
                try:
                    sent = dnsproxy.forwarded_to(
                        firewall, inv.get(policy), classic.lower() == "true", label
                    )
                    problem = ""
                except Undeterminable as exc:
                    sent, problem = [], str(exc)
                if sent or problem:
                    idx.proxies.setdefault(ip, []).append((label, vnet, sent, problem))
                else:  # to Azure-provided DNS: the zones linked to its own VNet answer
                    idx.servers.setdefault(ip, []).append((label, vnet))
        _hub_proxy(idx, inv, firewall, policy, classic.lower() == "true", broken)
    rules: dict[str, list[tuple[str, str, Row]]] = {}
    for rule in inv.of_type(FORWARDING_RULE):
        props = _props(rule)
        parent = ids.norm(ids.parent_of_child(str(rule["id"]), "forwardingRules"))
        # state and targets are read where the rule is used (dnsrules): a malformed one errs
        written = _text(get_key(props, "domainName")).strip().lower()
        if not written:
            continue  # no domain: the rule matches nothing (ARM refuses it anyway)
        # "." is the wildcard rule: it matches every name (domain "" below)
        name = ids.short_name(str(rule["id"]))
        rules.setdefault(parent, []).append((name, written.rstrip("."), rule))
    for link in inv.of_type(RULESET_LINK):
        ruleset = ids.parent_of_child(str(link["id"]), "virtualNetworkLinks")
        vnet = _text(get_key(_dict(get_key(_props(link), "virtualNetwork")), "id"))
        broken = hopstate.first_problem(
            [(link, hopstate.RULESET_LINK, "its ruleset does not apply to that VNet")]
        )
        if ruleset and vnet and broken[0] != hopstate.IN_PLACE:
            idx.ruleset_links_down.setdefault(ids.norm(vnet), []).append(broken)
        elif ruleset and vnet:
            entry = (ruleset, rules.get(ids.norm(ruleset), []))
            idx.rulesets.setdefault(ids.norm(vnet), []).append(entry)
    idx.ruleset_keys = {
        vnet: tuple(ruleset for ruleset, _rules in entries)
        for vnet, entries in idx.rulesets.items()
    }
    return idx


def _firewall_state(inv: Inventory, firewall: Row, policy: str) -> tuple[str, str]:
    """Whether a DNS proxy firewall and its policy work (:func:`hopstate.first_problem`)."""
    return hopstate.first_problem(
        [
            (firewall, hopstate.FIREWALL, "its DNS proxy answers no query"),
            (
                inv.get(policy) if policy else None,
                hopstate.POLICY,
                "its firewall's DNS proxy answers no query",
            ),
        ]
    )


def _hub_proxy(
    idx: Index,
    inv: Inventory,
    firewall: Row,
    policy: str,
    classic: bool,
    broken: tuple[str, str] = (hopstate.IN_PLACE, ""),
) -> None:
    """Index a DNS proxy firewall in a secured Virtual WAN hub (no ``ipConfigurations``: its
    ``hubIPAddresses``) by its private IP, as the loop above does a firewall in a VNet."""
    written, hub = dnsproxy.hub_address(firewall)
    ip = canonical_ip(written) if written else ""
    if not ip:
        return
    if broken[0] == hopstate.IN_PLACE:
        broken = hopstate.first_problem(
            [(inv.get(hub), hopstate.HUB, "it carries no traffic to its firewall")]
        )
    if broken[0] != hopstate.IN_PLACE:
        label = f"Azure Firewall DNS proxy {ids.short_name(firewall['id'])}"
        idx.dead.setdefault(ip, []).append((label, hub, True, *broken))
        return
    if policy and inv.get(policy) is None and not classic:
        idx.unread_policies.setdefault(ip, []).append((str(firewall["id"]), policy, hub, True))
        return
    label = f"Azure Firewall DNS proxy {ids.short_name(firewall['id'])}"
    try:
        sent, problem = dnsproxy.forwarded_to(firewall, inv.get(policy), classic, label), ""
    except Undeterminable as exc:
        sent, problem = [], str(exc)
    idx.hub_proxies.setdefault(ip, []).append((label, hub, sent, problem))


def _unknown_proxy(idx: Index, firewall: Row, switch: Any) -> None:
    """A firewall whose DNS proxy switch is unknown before deployment: every zone a spoke
    resolves through its address is ``error`` (redteam8 item 12), never "not a proxy"."""
    label = f"Azure Firewall DNS proxy {ids.short_name(firewall['id'])}"
    for cfg in _list(get_key(_props(firewall), "ipConfigurations")):
        cprops = _props(cfg)
        ip = canonical_ip(_text(get_key(cprops, "privateIPAddress")))
        vnet = ids.vnet_of_subnet(_text(get_key(_dict(get_key(cprops, "subnet")), "id")))
        if ip and vnet:
            unknown: tuple[str, str, list[str], str] = (
                label,
                vnet,
                [],
                f"{label}: {UnknownValue(switch)}",
            )
            idx.proxies.setdefault(ip, []).append(unknown)


def _proxy_policy(policy: Row) -> bool:
    settings = _dict(get_key(_props(policy), "dnsSettings"))
    return (
        get_key(settings, "enableProxy") is True
        or str(get_key(settings, "enableProxy")).lower() == "true"
    )


__all__ = [
    "AZURE_DNS",
    "FIREWALL",
    "FIREWALL_POLICY",
    "FORWARDING_RULE",
    "INBOUND_ENDPOINT",
    "RESOLUTION_TYPES",
    "RESOLVER",
    "RULESET",
    "RULESET_LINK",
    "Index",
    "canonical_ip",
    "index",
]
