"""What a ServiceTag outbound rule opens (AMLG-110).

The managed network's ``ServiceTagDestination`` (azure-rest-api-specs, machinelearningservices
``workspaceRP.json``) has ``serviceTag``, ``protocol``, ``portRanges`` (strings), ``action``
(``RuleAction``: Allow, Deny) and ``addressPrefixes`` ("Optional, if provided, the ServiceTag
property will be ignored."). So a rule whose ``addressPrefixes`` is a non-empty list opens those
prefixes, whatever its tag says: the prefixes are judged and the tag is not. Only when the list
is absent, null or empty is the tag judged.

Prefixes are broad when, per address family, they together open more addresses than one prefix
of the configured length (``min_prefix_length`` for IPv4, ``min_ipv6_prefix_length`` for IPv6):
a single ``0.0.0.0/0`` or ``::/0`` as much as ``0.0.0.0/0`` cut into many narrow pieces. An
IPv4-mapped IPv6 prefix (``::ffff:0:0/96``) is counted as the IPv4 addresses it names. A prefix
spelled ``*``, ``Any`` or ``Internet`` is every address. A prefix that is not an IP network, or a
list that is not a list of strings, cannot be judged. Ports and protocol narrow nothing that
matters here (any port to every address is egress anywhere), but they must be strings.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

from amlguard.scanner import shapes
from amlguard.scanner.fqdn import service_tag_scope
from amlguard.scanner.paths import get_key
from amlguard.scanner.shapes import MalformedValue, Where
from amlguard.textsafe import visible

#: prefix spellings that mean every address
EVERYTHING = frozenset({"*", "any", "internet"})
#: the IPv6 prefix whose addresses are IPv4 addresses (RFC 4291 2.5.5.2)
MAPPED = ipaddress.IPv6Network("::ffff:0:0/96")
#: how many prefixes a finding quotes
SHOWN = 3

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Breadth:
    """Why a ServiceTag rule's destination is broad: shown destination, scope, reason."""

    shown: str
    scope: str
    reason: str


def _limit(value: Any, default: int, bits: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        return default
    return min(max(value, 0), bits)


def breadth(
    destination: dict[str, Any],
    at: Where,
    forbidden_tags: list[Any],
    min_prefix_length: Any = 16,
    min_ipv6_prefix_length: Any = 48,
) -> Breadth | None:
    """Why an Allow ServiceTag destination is broad (None when it is not); a destination that
    names nothing, or whose prefixes, ports or protocol are malformed, cannot be judged."""
    for key in ("protocol", "portRanges"):
        shapes.text(get_key(destination, key), at / key)
    prefixes = _prefixes(get_key(destination, "addressPrefixes"), at / "addressPrefixes")
    if prefixes:
        v4 = _limit(min_prefix_length, 16, 32)
        v6 = _limit(min_ipv6_prefix_length, 48, 128)
        reason = prefix_reason(prefixes, at / "addressPrefixes", v4, v6)
        return Breadth(_shown(prefixes), "prefix", reason) if reason else None
    tag = shapes.text(get_key(destination, "serviceTag"), at / "serviceTag")
    if tag is None or not tag.strip():
        shown = "absent" if tag is None else f"blank ({shapes.describe(tag)})"
        raise MalformedValue(
            f"{visible(str(at / 'serviceTag'))} is {shown} and addressPrefixes is empty: the "
            "rule names no destination and cannot be judged"
        )
    scope = service_tag_scope(tag, forbidden_tags)
    return Breadth(tag, scope, f"{scope} service tag") if scope else None


def _prefixes(value: Any, at: Where) -> list[str]:
    """The rule's prefixes ([] when absent, null or empty); null or blank items, or any other
    shape, cannot be judged."""
    found = shapes.items(value, at) or []
    out: list[str] = []
    for i, item in enumerate(found):
        text = shapes.text(item, at / i)
        if text is None or not text.strip():
            shown = "null" if text is None else f"blank ({shapes.describe(text)})"
            raise MalformedValue(f"{visible(str(at / i))} is {shown}: cannot be judged")
        out.append(text)
    return out


def _shown(prefixes: list[str]) -> str:
    head = ", ".join(p.strip() for p in prefixes[:SHOWN])
    rest = len(prefixes) - SHOWN
    return f"prefixes {head}" + (f" and {rest} more" if rest > 0 else "")


def parse_prefix(raw: str, at: Where) -> Network | None:
    """The network a prefix names (None for a spelling of every address); a value that is not
    an IPv4 or IPv6 network cannot be judged. Host bits are ignored, as a mask drops them."""
    text = raw.strip()
    if text.lower() in EVERYTHING:
        return None
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise MalformedValue(
            f"{visible(str(at))} is {shapes.describe(raw)}, expected an IPv4 or IPv6 prefix "
            "(CIDR): cannot be judged"
        ) from None


def prefix_reason(prefixes: list[str], at: Where, min_v4: int, min_v6: int) -> str | None:
    """Why a rule's prefixes are broad (None when they are not); see the module text."""
    v4: list[ipaddress.IPv4Network] = []
    v6: list[ipaddress.IPv6Network] = []
    unread: MalformedValue | None = None
    for i, raw in enumerate(prefixes):
        try:
            net = parse_prefix(raw, at / i)
        except MalformedValue as exc:  # another prefix may still be broad
            unread = unread or exc
            continue
        if net is None:
            if min_v4 > 0 or min_v6 > 0:
                return f"prefix {raw.strip()} is every address"
            continue
        if isinstance(net, ipaddress.IPv4Network):
            v4.append(net)
        elif net.subnet_of(MAPPED):
            low = int(net.network_address) & 0xFFFFFFFF
            v4.append(ipaddress.IPv4Network((low, net.prefixlen - 96)))
        elif MAPPED.subnet_of(net) and min_v4 > 0:
            return f"prefix {net} holds every IPv4-mapped address"
        else:
            v6.append(net)
    reason = _family_reason(v4, 32, min_v4) or _family_reason(v6, 128, min_v6)
    if reason is None and unread is not None:
        raise unread
    return reason


def _family_reason(nets: list[Any], bits: int, limit: int) -> str | None:
    if not nets:
        return None
    widest = min(nets, key=lambda n: n.prefixlen)
    if widest.prefixlen < limit:
        return f"prefix {widest} wider than /{limit}"
    total = sum(n.num_addresses for n in ipaddress.collapse_addresses(nets))
    if total > 2 ** (bits - limit):
        return f"{len(nets)} prefixes together wider than one /{limit}"
    return None
