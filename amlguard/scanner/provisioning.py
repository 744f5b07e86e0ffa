"""Whether a private endpoint or a private DNS zone's virtual network link is in place, by its
``provisioningState`` (and a link's ``virtualNetworkLinkState``), for the rules and for
``--fix``'s readiness alike (redteam9 #16).

ARM leaves a resource whose deployment failed as a row with ``provisioningState: Failed``: an
endpoint without a working NIC, a link that resolves nothing. Such a row is not in place:

- ``Succeeded`` (any case, trimmed) is in place, and so is an absent state: ARM and Resource
  Graph always write one, so only rows written by hand and templates lack it, and a template's
  read-only state (absent, or an :class:`~amlguard.scanner.unknown.Unknown`) is known only
  after deployment, which the template reader (``iac``) assumes succeeds, as it does for
  every other read-only value;
- ``Failed`` and ``Canceled`` are **not** in place (the endpoint or link does not count, so its
  rule fails);
- anything else (``Creating``, ``Updating``, ``Deleting``, ``Accepted``, an unknown word, a
  value that is not a string) is **unsettled**: whether it will count cannot be read now, so
  a verdict that hinges on it is ``error`` ("rescan once it settles"), never a pass.

A link also carries ``virtualNetworkLinkState``: ``Completed`` (or absent) is live,
``InProgress`` is unsettled, anything else malformed (unsettled too).
"""

from __future__ import annotations

from typing import Any

from amlguard.scanner.context import Undeterminable
from amlguard.scanner.paths import MISSING, get_key
from amlguard.scanner.shapes import describe
from amlguard.scanner.unknown import Unknown
from amlguard.textsafe import visible

IN_PLACE = "in place"
FAILED = "failed"
UNSETTLED = "unsettled"

_FAILED_STATES = frozenset({"failed", "canceled", "cancelled"})


def _props(row: Any) -> Any:
    if not isinstance(row, dict):
        return None
    props = row.get("properties", MISSING)
    return get_key(row, "properties") if props is MISSING else props


def _field(props: Any, key: str) -> Any:
    if not isinstance(props, dict):
        return MISSING
    value = props.get(key, MISSING)
    return get_key(props, key) if value is MISSING else value


def _shown(value: Any) -> str:
    return visible(value.strip()) if isinstance(value, str) else describe(value)


def state(row: Any, link: bool = False) -> tuple[str, str]:
    """(``IN_PLACE`` | ``FAILED`` | ``UNSETTLED``, the state in words for a finding) of an
    endpoint row (``link``: a zone's virtual network link row)."""
    props = _props(row)
    found = _field(props, "provisioningState")
    words = ""
    verdict = IN_PLACE
    if found is not MISSING and found is not None and type(found) is not Unknown:
        low = found.strip().lower() if isinstance(found, str) else None
        if low == "succeeded":
            pass
        elif low in _FAILED_STATES:
            verdict, words = FAILED, f"provisioningState {_shown(found)}"
        else:
            verdict, words = UNSETTLED, f"provisioningState {_shown(found)}"
    if link and verdict == IN_PLACE:
        live = _field(props, "virtualNetworkLinkState")
        if live is not MISSING and live is not None and type(live) is not Unknown:
            low = live.strip().lower() if isinstance(live, str) else None
            if low != "completed":
                verdict, words = UNSETTLED, f"virtualNetworkLinkState {_shown(live)}"
    return verdict, words


def in_place(row: Any, link: bool = False) -> bool:
    """Whether the endpoint (or link) row is provisioned and so counts."""
    return state(row, link)[0] == IN_PLACE


def unsettled_link(links: list[Any]) -> Undeterminable | None:
    """Why a zone's link to a VNet cannot be read yet (the first link among ``links``, all
    not in place, that is still provisioning), or None when they all failed (not linked)."""
    for row in links:
        verdict, words = state(row, link=True)
        if verdict == UNSETTLED:
            name = visible(str(row.get("id") if isinstance(row, dict) else row))
            return Undeterminable(
                f"private DNS zone link {name} is {words}: whether it links the zone cannot be "
                "read until it settles (rescan later)"
            )
    return None
