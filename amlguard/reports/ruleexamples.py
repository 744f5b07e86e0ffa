"""A rule's ``examples:`` block: rows laid over a compliant estate to show it pass and fail.

Each example is a list of Resource Graph rows. A row whose ``id`` matches a row of the base
estate (compared case-insensitively) is merged into it as a JSON Merge Patch (RFC 7386):
objects merge key by key, anything else replaces, and ``null`` removes the key. A row that
matches none is added (its ``null`` values dropped the same way). The documentation pages show
the rows as written; the tests lay them over ``examples/estates/compliant.json`` and judge them.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

#: The two examples a rule documents, in page order.
KINDS = ("passing", "failing")


def merge_patch(base: Any, patch: Any) -> Any:
    """``patch`` applied to ``base`` as a JSON Merge Patch (a new value; neither is changed)."""
    if not isinstance(patch, Mapping):
        return copy.deepcopy(patch)
    out = dict(base) if isinstance(base, Mapping) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


def apply_rows(
    base: Sequence[Mapping[str, Any]], overlay: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """``base`` with each ``overlay`` row merged into the row of its id, or appended."""
    rows = [dict(r) for r in base]
    where = {str(r.get("id", "")).lower(): n for n, r in enumerate(rows)}
    for row in overlay:
        key = str(row.get("id", "")).lower()
        if key in where:
            merged = merge_patch(rows[where[key]], row)
            merged["id"] = rows[where[key]]["id"]  # the base's spelling of the id stays
            rows[where[key]] = merged
        else:
            where[key] = len(rows)
            rows.append(merge_patch({}, row))
    return rows


def examples_of(rule: Any) -> dict[str, Any]:
    """The rule's ``examples:`` block as written (empty when it has none)."""
    raw = getattr(rule, "raw", None) or {}
    block = raw.get("examples") if isinstance(raw, Mapping) else None
    return dict(block) if isinstance(block, Mapping) else {}


def example_options(rule: Any) -> dict[str, Any]:
    """The ``ScanOptions`` keyword arguments the examples are judged with (``settings``)."""
    settings = examples_of(rule).get("settings") or {}
    return {k: v for k, v in settings.items() if k in ("integration_selector", "network_isolation")}


def example_rows(
    rule: Any, kind: str, base: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]] | None:
    """The estate of one example (``passing`` or ``failing``) over ``base``; None without it."""
    if kind not in KINDS:
        raise ValueError(f"example kind {kind!r} is not one of {', '.join(KINDS)}")
    overlay = examples_of(rule).get(kind)
    if not overlay:
        return None
    return apply_rows(base, overlay)
