"""Whether a linked resource is in the scan (redteam10 #4): a resource the scan never read has
no known state, and neither do the role assignments at its own scopes, so a rule about it
cannot be judged (``error``, "not in the scanned inventory", as AMLG-231..240 say), never
``fail``, and the fix writes nothing for it."""

from __future__ import annotations

from typing import Any

from amlguard.scanner import ids
from amlguard.scanner.conditions import related_source
from amlguard.scanner.context import EvalContext
from amlguard.scanner.shapes import MalformedValue
from amlguard.textsafe import visible


def not_in_scan(resource_id: str, rtype: Any = None, why: str = "") -> MalformedValue:
    """The reason a resource outside the scan cannot be judged, as an unknown value (so an
    ``allOf``/``anyOf`` another branch settles still decides)."""
    kind = str(rtype) if isinstance(rtype, str) and rtype else ids.parse(resource_id).type
    return MalformedValue(
        f"{visible(kind or 'resource')} {visible(resource_id)} is not in the scanned inventory "
        f"(outside the scan scope or deleted){': ' + why if why else ''}"
    )


@related_source("notInScan")
def unscanned(ctx: EvalContext, target: Any = None, type: Any = None) -> list[Any]:
    """Nothing when ``target`` (a resource id) is in the inventory, or is absent; a target the
    scan never read cannot be judged."""
    if not isinstance(target, str) or not target.strip():
        return []
    if ctx.inventory.get(target) is not None:
        return []
    raise not_in_scan(target, type)
