"""The inputs of AMLG-301 that are not rows: ``trusted_dns_servers`` entries and
``central_dns_scopes`` (the ``centrallyManaged`` related source)."""

from __future__ import annotations

import ipaddress
from typing import Any

from amlguard.scanner import ids
from amlguard.scanner.conditions import related_source
from amlguard.scanner.context import EvalContext, Undeterminable
from amlguard.scanner.paths import get_key


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _ip(text: str) -> str:
    """An IP address in its canonical spelling ("" when it is not one)."""
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return ""


def trusted_servers(value: Any) -> dict[str, str]:
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


def in_scopes(resource_id: str, scopes: Any) -> bool:
    """Whether ``resource_id`` is under one of ``scopes`` (resource group or subscription ids)."""
    return any(
        isinstance(s, str) and s.strip() and ids.covers(s.strip(), resource_id)
        for s in _list(scopes)
    )


@related_source("centrallyManaged")
def centrally_managed(ctx: EvalContext, scopes: Any = None) -> list[Any]:
    """[the zone] when the judged zone is outside the scan and under a ``central_dns_scopes``
    entry (its links and resolvers are a central team's business); [] otherwise."""
    zone_id = str(ctx.resource["id"])
    if ctx.inventory.get(zone_id) is None and in_scopes(zone_id, scopes):
        return [{"id": zone_id}]
    return []


__all__ = ["centrally_managed", "in_scopes", "trusted_servers"]
