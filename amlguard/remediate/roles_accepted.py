"""Which roles ``apply`` may assign: the approver role, or one the rule pack's parameters name."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from amlguard.scanner import ids

#: the remediator whose rules' ``role_definition_id`` parameter names an assignable role
ROLE_REMEDIATOR = "approver-role"
ROLE_PARAMETER = "role_definition_id"


def accepted_roles(
    policies: Iterable[Path] = (), parameters: Mapping[str, Mapping[str, Any]] | None = None
) -> tuple[str, ...]:
    """Role GUIDs (lower-case) of every rule that names the role remediator: the parameter's
    default, its allowed values and the config's override."""
    from amlguard.scanner.rules import load_pack

    pack = load_pack(list(policies))
    out: set[str] = set()
    for rule in pack.rules:
        if rule.remediation.remediator != ROLE_REMEDIATOR:
            continue
        declared = next((p for p in rule.parameters if p.name == ROLE_PARAMETER), None)
        values: list[Any] = []
        if declared is not None:
            values += [declared.default, *(declared.allowed or ())]
        override = (parameters or {}).get(rule.id, {}).get(ROLE_PARAMETER)
        values.append(override)
        out |= {ids.guid_tail(v).lower() for v in values if isinstance(v, str) and v}
    return tuple(sorted(out - {""}))
