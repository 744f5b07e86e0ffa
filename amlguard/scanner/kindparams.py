"""Rule parameters that depend on the workspace's kind (real-estates 4.4).

A parameter named ``<S>_by_kind`` maps workspace kinds (``Hub``, ``FeatureStore``..., compared
case-insensitively) to a value that replaces, for a workspace of that kind, the parameter ``<S>``
names: the rule's own parameter ``<S>`` when it has one, else the parameter the pack's config
shortcut ``<S>`` stands for (``image_build_compute`` is AMLG-107's ``compute_name``, so
``image_build_compute_by_kind: {Hub: ci-image-build}`` sets the compute a hub's fix names).
Data decides; no code knows a rule or a kind.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

SUFFIX = "_by_kind"


@cache
def _shortcuts() -> tuple[tuple[str, str, str], ...]:
    """(shortcut, rule id, parameter) from the pack's ``config_shortcuts``, read once."""
    from amlguard.scanner.rules import pack_settings

    raw = pack_settings().get("config_shortcuts") or {}
    out = []
    for name, spec in raw.items() if isinstance(raw, dict) else []:
        if isinstance(spec, dict) and spec.get("rule") and spec.get("parameter"):
            out.append((str(name).lower(), str(spec["rule"]).upper(), str(spec["parameter"])))
    return tuple(out)


def has_kind_parameters(params: Mapping[str, Any]) -> bool:
    """Whether any parameter is a ``<S>_by_kind`` mapping (most rules have none)."""
    return any(str(k).endswith(SUFFIX) for k in params)


def overridden(rule_id: str, params: Mapping[str, Any], by_kind_name: str) -> str:
    """The parameter a ``<S>_by_kind`` parameter overrides (see the module docstring)."""
    base = by_kind_name[: -len(SUFFIX)]
    if base in params:
        return base
    for shortcut, rule, parameter in _shortcuts():
        if shortcut == base.lower() and rule == rule_id.upper():
            return parameter
    return base


def kind_entry(mapping: Any, kind: str) -> tuple[bool, Any]:
    """(found, value) of ``kind`` in a by-kind mapping, keys compared case-insensitively."""
    wanted = kind.strip().lower()
    if not wanted or not isinstance(mapping, Mapping):
        return False, None
    for key, value in mapping.items():
        if str(key).strip().lower() == wanted:
            return True, value
    return False, None


def for_kind(rule_id: str, params: Mapping[str, Any], kind: str) -> dict[str, Any]:
    """``params`` with every ``<S>_by_kind`` entry for ``kind`` applied (a copy; the same
    values when no entry names the kind)."""
    out = dict(params)
    for name, mapping in params.items():
        if not str(name).endswith(SUFFIX):
            continue
        found, value = kind_entry(mapping, kind)
        if found and value not in (None, ""):
            out[overridden(rule_id, params, str(name))] = value
    return out


def from_kind(rule_id: str, params: Mapping[str, Any], name: str, kind: str) -> bool:
    """Whether parameter ``name``'s value for ``kind`` comes from a ``_by_kind`` entry."""
    for key, mapping in params.items():
        if str(key).endswith(SUFFIX) and overridden(rule_id, params, str(key)) == name:
            found, value = kind_entry(mapping, kind)
            if found and value not in (None, ""):
                return True
    return False
