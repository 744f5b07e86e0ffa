"""Why a private DNS zone's link to a VNet cannot be read yet (:mod:`provisioning`), for the
DNS judge: a link still provisioning may be the link the zone needs."""

from __future__ import annotations

from typing import Any

from amlguard.scanner import provisioning
from amlguard.scanner.context import Undeterminable
from amlguard.textsafe import visible


def unsettled_link(links: list[Any]) -> Undeterminable | None:
    """Why a zone's link to a VNet cannot be read yet (the first link among ``links``, all
    not in place, that is still provisioning), or None when they all failed (not linked)."""
    for row in links:
        verdict, words = provisioning.state(row, link=True)
        if verdict == provisioning.UNSETTLED:
            name = visible(str(row.get("id") if isinstance(row, dict) else row))
            return Undeterminable(
                f"private DNS zone link {name} is {words}: whether it links the zone cannot be "
                "read until it settles (rescan later)"
            )
    return None
