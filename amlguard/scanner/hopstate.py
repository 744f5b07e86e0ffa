"""Whether a resource a DNS or reach verdict relies on works, by its provisioning state
(redteam10a #2 and #3; the class redteam9 #16 fixed for private endpoints and zone links).

Every hop AMLG-301, AMLG-250, the zone registration rules and ``--fix``'s DNS readiness take
as working (a private DNS zone and the zone groups that write an endpoint's records into it,
a DNS Private Resolver and its inbound and outbound endpoints, a forwarding ruleset, its rules
and its VNet links, an Azure Firewall and its policy, a Virtual WAN hub and its WAN) counts
only when ARM says it was provisioned:

- ``Succeeded`` (any case, padded) works;
- ``Failed``, ``Canceled`` and ``Deleting`` do not (a resource whose deployment failed, or
  that is going away, answers nothing): the verdict that relied on it is ``fail``, naming the
  resource and its state;
- anything else (``Creating``, ``Updating``, ``Provisioning``, ``Accepted``, an unknown word,
  ``null``, a value that is not a string) cannot be judged now: ``error`` ("rescan once it
  settles"), never the harmless reading.

An **absent** ``provisioningState`` works: the REST specs (``dnsresolver``,
``privatedns``, ``network`` resource-manager specs) mark it ``readOnly`` on every one of these
types and every example response carries it, so ARM and Resource Graph always write it; rows
written by hand (the example estates) and templates (whose read-only values are known after
deployment, which the template reader assumes succeeds) lack it. A template's value unknown
before deployment (:class:`~amlguard.scanner.unknown.Unknown`) works for the same reason.

Some types carry a second state (:data:`RESOLVER` ``dnsResolverState``: ``Connected`` works,
``Disconnected`` does not; :data:`HUB` ``routingState``: ``Provisioned`` works, ``Failed``
does not, ``Provisioning``/``None`` cannot be judged), read the same way once the
provisioning state works (absent: works).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from amlguard.scanner import ids, provisioning
from amlguard.scanner.context import Undeterminable
from amlguard.textsafe import visible

IN_PLACE, FAILED, UNSETTLED = provisioning.IN_PLACE, provisioning.FAILED, provisioning.UNSETTLED

_FAILED_STATES = frozenset({"failed", "canceled", "cancelled", "deleting"})


@dataclass(frozen=True)
class Kind:
    """A resource type as a hop: its name in words, and its second state field (if any):
    (field, the value that works, the values that have failed)."""

    words: str
    extra: tuple[str, str, frozenset[str]] | None = None


ZONE = Kind("private DNS zone")
ZONE_GROUP = Kind("private DNS zone group")
RESOLVER = Kind(
    "DNS Private Resolver", ("dnsResolverState", "connected", frozenset({"disconnected"}))
)
INBOUND = Kind("DNS Private Resolver inbound endpoint")
OUTBOUND = Kind("DNS Private Resolver outbound endpoint")
RULESET = Kind("DNS forwarding ruleset")
RULE = Kind("forwarding rule")
RULESET_LINK = Kind("forwarding ruleset VNet link")
FIREWALL = Kind("Azure Firewall")
POLICY = Kind("firewall policy")
HUB = Kind("Virtual WAN hub", ("routingState", "provisioned", frozenset({"failed"})))
WAN = Kind("virtual WAN")


def _field(obj: Any, key: str) -> Any:
    """``obj[key]``, the key in any case; ``provisioning.MISSING`` when absent."""
    return provisioning._field(obj, key)


def _shown(value: Any) -> str:
    """A state in words: the value trimmed and escaped, a blank one or another type said so."""
    if value is None:
        return "null"
    if isinstance(value, str) and not value.strip():
        return "blank"
    return provisioning._shown(value)


def _read(value: Any, good: str, failed: frozenset[str]) -> str:
    if value is provisioning.MISSING or provisioning._known_later(value):
        return IN_PLACE
    low = value.strip().lower() if isinstance(value, str) else None
    if low == good:
        return IN_PLACE
    return FAILED if low in failed else UNSETTLED


def state(row: Any, kind: Kind) -> tuple[str, str]:
    """(``IN_PLACE`` | ``FAILED`` | ``UNSETTLED``, the state in words) of ``row``."""
    props = _field(row, "properties")
    if props is not provisioning.MISSING and props is not None and not isinstance(props, dict):
        return UNSETTLED, f"properties {_shown(props)}"
    found = _field(props, "provisioningState")
    verdict = _read(found, "succeeded", _FAILED_STATES)
    if verdict != IN_PLACE:
        return verdict, _shown(found)
    if kind.extra is not None:
        key, good, failed = kind.extra
        found = _field(props, key)
        verdict = _read(found, good, failed)
        if verdict != IN_PLACE:
            return verdict, f"{key} {_shown(found)}"
    return IN_PLACE, ""


def name_of(row: Any) -> str:
    """The resource's name for a finding (escaped)."""
    rid = row.get("id") if isinstance(row, dict) else None
    return visible(ids.short_name(str(rid or "?")))


def problem(row: Any, kind: Kind, consequence: str) -> str:
    """'' when ``row`` works; the failure in words ("<kind> X is Failed: <consequence>") when
    it failed; raises :class:`Undeterminable` when its state cannot be judged now."""
    verdict, words = state(row, kind)
    if verdict == IN_PLACE:
        return ""
    said = f"{kind.words} {name_of(row)} is {words}"
    if verdict == FAILED:
        return f"{said}: {consequence}"
    raise Undeterminable(f"{said}: whether it works cannot be read until it settles (rescan later)")


def first_problem(hops: list[tuple[Any, Kind, str]]) -> tuple[str, str]:
    """The first hop of ``hops`` (row, kind, consequence; rows that are None skipped) that does
    not work: (``FAILED`` | ``UNSETTLED``, its words), or (``IN_PLACE``, '')."""
    for row, kind, consequence in hops:
        if row is None:
            continue
        try:
            found = problem(row, kind, consequence)
        except Undeterminable as exc:
            return UNSETTLED, str(exc)
        if found:
            return FAILED, found
    return IN_PLACE, ""


def raise_or_words(verdict: str, words: str) -> str:
    """``words`` of a failed hop; raises :class:`Undeterminable` for one not settled."""
    if verdict == UNSETTLED:
        raise Undeterminable(words)
    return words


__all__ = [
    "FAILED",
    "FIREWALL",
    "HUB",
    "INBOUND",
    "IN_PLACE",
    "OUTBOUND",
    "POLICY",
    "RESOLVER",
    "RULE",
    "RULESET",
    "RULESET_LINK",
    "UNSETTLED",
    "WAN",
    "ZONE",
    "ZONE_GROUP",
    "Kind",
    "first_problem",
    "name_of",
    "problem",
    "raise_or_words",
    "state",
]
