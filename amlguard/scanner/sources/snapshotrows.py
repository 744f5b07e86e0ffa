"""The checks every snapshot row passes before a scan: an object with an id, a type its id does
not contradict, objects where ARM's schema has objects, one content per id.

Run on every row of a fleet (tens of thousands), so the usual row takes a fast path that proves
it sound with a few C-level string calls (see :func:`_check_rows`); anything else takes the
exact, slower reading (:func:`_row_problem`), which alone words the error.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any

from amlguard.errors import InputError
from amlguard.excerpt import quoted

__all__ = ["row_problem"]


def _kind(value: Any) -> str:
    """A value's JSON type, as a message says it ("an object", never "dict")."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return "a value of no JSON type"


def _check_rows(rows: list[Any], path: Path, where: Callable[[int], str]) -> None:
    """Every row an object with an id, a type its id does not contradict, object
    ``properties``; one id twice with different content is a conflict (exit 2)."""
    first: dict[str, int] = {}
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            raise InputError(
                f"{path}{where(i)}: a row must be a JSON object with an 'id', found {_kind(row)}"
            )
        rid = row.get("id")
        if not isinstance(rid, str) or not rid.strip():
            named = f" (name {quoted(row['name'])})" if isinstance(row.get("name"), str) else ""
            raise InputError(f"{path}{where(i)}: row has no 'id'{named}")
        problem = _row_problem(row, rid)
        if problem:
            raise InputError(f"{path}{where(i)}: {problem}")
        key = rid.strip().rstrip("/").lower()  # ids.norm() of a non-empty string, inlined
        seen = first.get(key)
        if seen is None:
            first[key] = i
        elif rows[seen] != row:
            raise InputError(
                f"{path}{where(i)}: resource {quoted(rid)} is also at {where(seen).lstrip(': ')} "
                "with different content; which one is meant cannot be told"
            )


def row_problem(row: dict[str, Any]) -> str | None:
    """Why a row with an id cannot be judged as it stands (None when it can)."""
    return _row_problem(row, str(row["id"]))


def _row_problem(row: dict[str, Any], rid: str) -> str | None:
    """:func:`row_problem` of a row whose id the caller has read already."""
    rtype = row.get("type")
    if rtype is None:
        low = ""
    elif not isinstance(rtype, str):
        return f"'type' must be a string, found {_kind(rtype)}"
    else:
        low = rtype.strip().lower()
        named = _named_type(rid)
        # Only an id under /providers/ names a type (a subscription or group id does not).
        if named and low != named:
            return (
                f"its 'type' {quoted(rtype)} contradicts the type its id names ({named}); "
                "a row of the wrong type would be silently skipped"
            )
    # The paths every row has (one key each: a row.get, no walk), then its type's own.
    for key in _TOP_OBJECTS:
        value = row.get(key)
        if value is not None and not isinstance(value, dict):
            return f"'{key}' must be an object, found {_kind(value)}"
    for parts in _DEEP_OBJECTS + _OBJECTS.get(low, ()):
        value = row
        for part in parts:
            value = value.get(part) if isinstance(value, dict) else None
        if value is not None and not isinstance(value, dict):
            return f"'{'.'.join(parts)}' must be an object, found {_kind(value)}"
    return None


def _named_type(rid: str) -> str:
    """The lower-cased type an id names ('' when it names none), as ``ids.parse`` reads it but
    cheap enough for every row of a fleet. A template's rows may name a resource by a value
    known only after deployment (``<unknown: ...>``, whose text holds slashes): its type is
    named before it."""
    # The usual id: one lower-case /providers/ and nothing after it that lower-cases into
    # another: only the tail is lower-cased and split (a third less per row).
    i = rid.rfind("/providers/")
    if i >= 0 and "<" not in rid:
        tail = rid[i + 10 :].lower()
        if "/providers/" not in tail:
            parts = tail[1:].split("/")
            del parts[2::2]  # namespace, then every other segment: the types
            return "/".join(parts).strip("/")
    low = rid.lower()
    cut = low.find("<unknown:")
    if cut >= 0:
        low = low[:cut] + "x"
    i = low.rfind("/providers/")
    if i < 0:
        return ""
    tail_parts = low[i + 11 :].split("/")
    return "/".join([tail_parts[0], *tail_parts[1::2]]).strip("/")


# Where ARM's schema has an object, a row that holds anything else is not that resource.
_OBJECTS: dict[str, tuple[tuple[str, ...], ...]] = {
    "*": (("properties",), ("identity",), ("sku",), ("tags",)),
    "microsoft.machinelearningservices/workspaces": (
        ("properties", "managedNetwork"),
        ("properties", "managedNetwork", "outboundRules"),
        ("properties", "managedNetwork", "status"),
        ("identity", "userAssignedIdentities"),
    ),
}


#: the single-key paths of every row, read with one ``get`` each; the longer ones walked
_TOP_OBJECTS = tuple(p[0] for p in itertools.takewhile(lambda p: len(p) == 1, _OBJECTS["*"]))
_DEEP_OBJECTS = _OBJECTS["*"][len(_TOP_OBJECTS) :]
