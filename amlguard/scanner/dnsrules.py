"""Strict reads of a DNS forwarding rule (``dnsForwardingRulesets/forwardingRules``) for
AMLG-301, at the point of use (when the rule is the one that wins for a zone).

- ``forwardingRuleState``: absent (or null) is ``Enabled``, the API's default; ``Enabled`` /
  ``Disabled`` in any casing; anything else cannot be judged (a malformed value never counts
  as Enabled).
- ``targetDnsServers[*]``: ``ipAddress`` and ``port`` (absent: 53, the API's default). A DNS
  Private Resolver inbound endpoint and an Azure Firewall DNS proxy answer on port 53 only, so
  a target on another port does not resolve the zone.

Values unknown before deployment (templates) raise
:class:`~amlguard.scanner.shapes.UnknownAt`; malformed ones
:class:`~amlguard.scanner.shapes.MalformedValue`: the finding is ``error``.
"""

from __future__ import annotations

from typing import Any

from amlguard.scanner.paths import MISSING
from amlguard.scanner.shapes import (
    MalformedValue,
    UnknownAt,
    Where,
    describe,
    items,
    member,
    obj,
    text,
)
from amlguard.scanner.unknown import Unknown

#: the port DNS resolvers answer on (Private Resolver inbound endpoints, firewall DNS proxy)
DNS_PORT = 53


def _props(rule: dict[str, Any]) -> dict[str, Any] | None:
    return obj(member(rule, "properties"), Where(rule.get("id"), "properties"))


def enabled(rule: dict[str, Any]) -> bool:
    """Whether the forwarding rule row ``rule`` is Enabled (absent state: Enabled)."""
    where = Where(rule.get("id"), "properties.forwardingRuleState")
    state = text(member(_props(rule), "forwardingRuleState"), where)
    if state is None:
        return True
    if state.lower() in ("enabled", "disabled"):
        return state.lower() == "enabled"
    raise MalformedValue(f"{where} is {describe(state)}, expected Enabled or Disabled")


def targets(rule: dict[str, Any]) -> list[tuple[str, int | None]]:
    """The rule's target servers: (ip address as written, the port when it is not 53)."""
    where = Where(rule.get("id"), "properties.targetDnsServers")
    out: list[tuple[str, int | None]] = []
    for i, entry in enumerate(items(member(_props(rule), "targetDnsServers"), where) or []):
        server = obj(entry, where / i)
        ip = (text(member(server, "ipAddress"), where / i / "ipAddress") or "").strip()
        port = member(server, "port")
        if type(port) is Unknown:
            raise UnknownAt(port, where / i / "port")
        if port is None or port is MISSING:
            out.append((ip, None))
        elif type(port) is int:
            out.append((ip, None if port == DNS_PORT else port))
        else:
            raise MalformedValue(f"{where / i / 'port'} is {describe(port)}, expected a port")
    return out


__all__ = ["DNS_PORT", "enabled", "targets"]
