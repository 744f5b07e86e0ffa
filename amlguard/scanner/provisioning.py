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

from amlguard.textsafe import visible

#: no such key (this module imports nothing of the scanner: the inventory's index reads it)
MISSING: Any = object()

IN_PLACE = "in place"
FAILED = "failed"
UNSETTLED = "unsettled"

_FAILED_STATES = frozenset({"failed", "canceled", "cancelled"})


def _field(obj: Any, key: str) -> Any:
    """``obj[key]``, the key matched case-insensitively (ARM's spelling first); MISSING."""
    if not isinstance(obj, dict):
        return MISSING
    value = obj.get(key, MISSING)
    if value is MISSING:
        low = key.lower()
        value = next((v for k, v in obj.items() if str(k).lower() == low), MISSING)
    return value


def _known_later(value: Any) -> bool:
    """A template's value known only after deployment: an ``unknown.Unknown``, the only
    ``str`` subclass rows hold (checked by type, not imported: no import cycle)."""
    return isinstance(value, str) and type(value) is not str


def _shown(value: Any) -> str:
    if isinstance(value, str):
        return visible(value.strip())
    kind = {bool: "a boolean", int: "a number", float: "a number", list: "a list"}
    text = visible(repr(value))
    return f"{kind.get(type(value), 'an object')} ({text[:60]})"


def state(row: Any, link: bool = False) -> tuple[str, str]:
    """(``IN_PLACE`` | ``FAILED`` | ``UNSETTLED``, the state in words for a finding) of an
    endpoint row (``link``: a zone's virtual network link row)."""
    props = _field(row, "properties")
    found = _field(props, "provisioningState")
    words = ""
    verdict = IN_PLACE
    if found is not MISSING and found is not None and not _known_later(found):
        low = found.strip().lower() if isinstance(found, str) else None
        if low == "succeeded":
            pass
        elif low in _FAILED_STATES:
            verdict, words = FAILED, f"provisioningState {_shown(found)}"
        else:
            verdict, words = UNSETTLED, f"provisioningState {_shown(found)}"
    if link and verdict == IN_PLACE:
        live = _field(props, "virtualNetworkLinkState")
        if live is not MISSING and live is not None and not _known_later(live):
            low = live.strip().lower() if isinstance(live, str) else None
            if low != "completed":
                verdict, words = UNSETTLED, f"virtualNetworkLinkState {_shown(live)}"
    return verdict, words


def in_place(row: Any, link: bool = False) -> bool:
    """Whether the endpoint (or link) row is provisioned and so counts."""
    return state(row, link)[0] == IN_PLACE
