"""Lenient readers of a row's shape, shared by the domain functions: a row's ``properties``
(any casing, as ARM reads property names), and a value as a dict or a list ({} / [] when it
is not one). What a value *means* is judged strictly where it is used."""

from __future__ import annotations

from typing import Any

from amlguard.scanner.paths import get_key


def props(row: Any) -> dict[str, Any]:
    """``row["properties"]`` (any casing) when it is an object, else {}."""
    p = row.get("properties") if isinstance(row, dict) else None
    if p is None and isinstance(row, dict):  # any casing, as ARM reads property names
        p = get_key(row, "properties")
    return p if isinstance(p, dict) else {}


def as_dict(value: Any) -> dict[str, Any]:
    """``value`` when it is a dict, else {}."""
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    """``value`` when it is a list, else []."""
    return value if isinstance(value, list) else []
