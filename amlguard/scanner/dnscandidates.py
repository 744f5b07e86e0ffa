"""Every DNS server that answers on one IP, judged by who reaches it (redteam9 item 7).

Address plans are reused between VNets that are not peered (a DR copy of the hub in another
region, sandbox landing zones, acquired tenants), so one private IP can be a Private Resolver
inbound endpoint in the hub **and** a firewall DNS proxy in an unpeered clone. Each is one
candidate for the IP: resolvers and firewalls that forward to Azure DNS (``Index.servers``),
``trusted_dns_servers`` entries, firewall DNS proxies with servers of their own (``proxies``),
proxies in secured Virtual WAN hubs (``hub_proxies``) and firewalls whose policy the scan could
not read (``unread_policies``). The one that answers is one the client reaches (peered address
spaces may not overlap, so two reached candidates on one IP cannot occur in Azure): only the
reached candidates are judged, and the zone resolves when one of them resolves it. When no
candidate is reached, the first is named (as a lone candidate would be). Whether a candidate is
reached that cannot be read (``Undeterminable``) is ``error`` unless a reached one resolves.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from amlguard.scanner import hopstate, ids
from amlguard.scanner.context import Undeterminable

#: candidate kinds
SERVER, PROXY, HUB, UNREAD = "server", "proxy", "hub", "unread"
#: a server a resource of which failed or is not settled (``Index.dead``, :mod:`hopstate`)
DEAD = "dead"


@dataclass
class Candidate:
    """One DNS server on an IP: its kind, its index entry, where it sits (VNet or hub)."""

    kind: str
    entry: Any
    place: str
    in_hub: bool = False
    extra: list[Any] = field(default_factory=list)


def of(judge: Any, ip: str) -> list[Candidate]:
    """Every candidate for DNS server ``ip`` (resolvers and trusted servers first)."""
    idx = judge.idx
    out = [Candidate(SERVER, (label, vnet), vnet) for label, vnet in judge.options(ip)]
    out += [Candidate(PROXY, e, e[1]) for e in idx.proxies.get(ip, [])]
    out += [Candidate(HUB, e, e[1], True) for e in idx.hub_proxies.get(ip, [])]
    out += [Candidate(UNREAD, e, e[2], e[3]) for e in idx.unread_policies.get(ip, [])]
    out += [Candidate(DEAD, e, e[1], e[2]) for e in idx.dead.get(ip, [])]
    return out


def several(judge: Any, ip: str) -> list[Candidate]:
    """The candidates of ``ip`` when a firewall (DNS proxy or unread policy) is one of two or
    more, or one is a server that failed or is not settled (even alone): [] otherwise (a lone
    candidate, or resolvers only, are judged as before)."""
    idx = judge.idx
    if ip in idx.dead:
        return of(judge, ip)
    if ip not in idx.proxies and ip not in idx.hub_proxies and ip not in idx.unread_policies:
        return []
    found = of(judge, ip)
    return found if len(found) > 1 else []


def unread_words(ip: str, entry: tuple[str, str, str, bool]) -> str:
    """Why a firewall whose policy was not read makes DNS server ``ip`` unreadable."""
    firewall, policy = entry[0], entry[1]
    return (
        f"custom DNS server {ip} is Azure Firewall {ids.short_name(firewall)}, whose "
        f"policy {policy} is not in the scanned inventory (outside the scan scope or "
        "unreadable): whether its DNS proxy is on cannot be read"
    )


def dead_verdict(entry: tuple[str, str, bool, str, str]) -> tuple[bool, str]:
    """A server that failed: (False, why); one not settled raises ``Undeterminable``."""
    label, _place, _in_hub, verdict, words = entry
    words = hopstate.raise_or_words(verdict, words)
    return False, words if label.rsplit(" ", 1)[-1] in words else f"{label}: {words}"


def choose(
    candidates: list[Candidate],
    reached: Callable[[Candidate], bool],
    judged: Callable[[Candidate], tuple[bool, str]],
) -> tuple[bool, str]:
    """The verdict on an IP: the reached candidates judged (a pass if one resolves), or, when
    none is reached, the first judged alone (its words say it is not reached)."""
    unread: Undeterminable | None = None
    pool = []
    for candidate in candidates:
        try:
            if reached(candidate):
                pool.append(candidate)
        except Undeterminable as exc:
            unread = unread or exc
    if not pool:
        if unread is not None:
            raise unread
        pool = candidates[:1]
    failed: list[str] = []
    for candidate in pool:
        try:
            ok, words = judged(candidate)
        except Undeterminable as exc:
            unread = unread or exc
            continue
        if ok:
            return ok, words
        failed.append(words)
    if unread is not None:
        raise unread
    return False, failed[0]


__all__ = [
    "DEAD",
    "HUB",
    "PROXY",
    "SERVER",
    "UNREAD",
    "Candidate",
    "choose",
    "dead_verdict",
    "of",
    "several",
]
