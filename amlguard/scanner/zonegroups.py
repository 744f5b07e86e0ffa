"""Whether a private endpoint's DNS zone groups wrote its records into their zones, by the
zone group's provisioning state (redteam10a #2, :mod:`hopstate`).

A zone group (``privateEndpoints/privateDnsZoneGroups``) is what writes the endpoint's A
records into the zones it names. The classic landing-zone failure leaves it ``Failed`` (the
zone sits in the connectivity subscription and the write is denied): the endpoint is
``Succeeded``, its names have no private record. So a zone group registers the endpoint in its
zones only when it works; one that failed registers nothing (the zone registration rules fail,
naming it), one not settled cannot be judged (``error``), and ``--fix`` does not take either
as DNS ready.
"""

from __future__ import annotations

from typing import Any

from amlguard.scanner import hopstate, ids
from amlguard.scanner.inventory import Inventory, Row
from amlguard.scanner.unknown import Unknown

IN_PLACE = hopstate.IN_PLACE
_CONSEQUENCE = "the endpoint's records are not in its zones"


def state(group: Any) -> tuple[str, str]:
    """(``IN_PLACE`` | ``FAILED`` | ``UNSETTLED``, why) of a zone group row (ARM's spelling of
    ``Succeeded`` read at dict speed)."""
    props = group.get("properties") if type(group) is dict else None
    if type(props) is dict and props.get("provisioningState") == "Succeeded":
        return hopstate.IN_PLACE, ""
    return hopstate.first_problem([(group, hopstate.ZONE_GROUP, _CONSEQUENCE)])


def unregistered(group: Any, zone_name: str) -> Any:
    """None when zone group ``group`` registers its endpoint in zone ``zone_name``; else what
    the endpoint's zone reads as: the zone's name with the failure in words (matches no zone
    a rule asks for), or an :class:`Unknown` whose reading is ``error``."""
    verdict, words = state(group)
    if verdict == hopstate.IN_PLACE:
        return None
    if verdict == hopstate.FAILED:
        return f"{zone_name} (not registered: {words})"
    rid = str(group.get("id") if isinstance(group, dict) else "?")
    return Unknown(f"{rid}:properties.provisioningState", said=words)


def problem(inv: Inventory, endpoint_id: str) -> str:
    """Why the DNS zone groups of private endpoint ``endpoint_id`` do not register it ('' when
    each works): the first that failed or is not settled, in words (for ``--fix``'s
    readiness, where both mean "not ready")."""
    for group in inv.zone_groups_by_endpoint.get(ids.norm(endpoint_id), []):
        verdict, words = state(group)
        if verdict != hopstate.IN_PLACE:
            return f"private endpoint {ids.short_name(endpoint_id)}: {words}"
    return ""


def working(inv: Inventory, endpoint_id: str) -> list[Row]:
    """The DNS zone groups of private endpoint ``endpoint_id`` that work."""
    return [
        g
        for g in inv.zone_groups_by_endpoint.get(ids.norm(endpoint_id), [])
        if state(g)[0] == hopstate.IN_PLACE
    ]


__all__ = ["problem", "state", "unregistered", "working"]
