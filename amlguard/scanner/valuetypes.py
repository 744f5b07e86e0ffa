"""What a value is, for the ``is`` operator and for links: ``is: resourceId``.

``exists`` only asks whether a value is there; ``""``, ``0``, ``false``, ``[]`` and ``{}`` are
all there. A rule that needs a resource id or a non-empty string says so with ``is``, and a
wrong-typed value then fails the rule (it is not a resource id) instead of passing it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any


def is_resource_id(value: Any) -> bool:
    """A string shaped like an ARM resource id: ``/subscriptions/{s}/.../providers/{ns}/
    {type}/{name}`` (or a tenant-level ``/providers/...`` id), no empty segment."""
    if not isinstance(value, str):
        return False
    # The same ids are asked twice a scan (instance links, then AMLG-108's ``is``).
    return _resource_id_text(value)


@lru_cache(maxsize=16384)
def _resource_id_text(value: str) -> bool:
    text = value.strip()
    if not text.startswith("/") or text != value or text.split() != [text]:
        return False
    parts = text.rstrip("/").split("/")[1:]
    if not parts or "" in parts:  # no empty segment
        return False
    # [p.lower() for p in parts]: lower() never makes or takes a "/", so one call for all
    lowered = text.lower().rstrip("/").split("/")[1:]
    if "providers" not in lowered:
        return False
    tail = parts[len(lowered) - 1 - lowered[::-1].index("providers") + 1 :]
    # namespace, then type/name pairs: at least one of them
    return len(tail) >= 3 and len(tail) % 2 == 1 and "." in tail[0]


def _non_empty_string(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == value


TYPES: dict[str, tuple[Callable[[Any], bool], str]] = {
    "resourceid": (is_resource_id, "a resource id"),
    "nonemptystring": (_non_empty_string, "a non-empty string"),
    "string": (lambda v: isinstance(v, str), "a string"),
    "boolean": (lambda v: isinstance(v, bool), "a boolean"),
    "number": (_number, "a number"),
    "array": (lambda v: isinstance(v, list), "an array"),
    "object": (lambda v: isinstance(v, dict), "an object"),
}
#: The spellings rule files use (``is: resourceId``).
NAMES = ("resourceId", "nonEmptyString", "string", "boolean", "number", "array", "object")


def check(kind: Any) -> Callable[[Any], bool]:
    """The test for one ``is`` operand (case-insensitive); ValueError for an unknown one."""
    entry = TYPES.get(str(kind).lower())
    if entry is None:
        raise ValueError(f"'is' takes one of {', '.join(NAMES)}, not {str(kind)[:40]!r}")
    return entry[0]


def describe(kind: Any) -> str:
    """What an ``is`` operand asks for, e.g. ``a resource id``."""
    entry = TYPES.get(str(kind).lower())
    return entry[1] if entry else str(kind)
