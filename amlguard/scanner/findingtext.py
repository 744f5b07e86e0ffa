"""The text fields a finding's message and fix are filled with (the engine's side of them)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from amlguard.scanner.conditions import Explanation
from amlguard.scanner.idparts import parsed
from amlguard.scanner.instances import Instance
from amlguard.scanner.targets import Target
from amlguard.textsafe import bounded, visible


class FieldValues(dict[str, Any]):
    """The values a message or fix template is filled with: data made visible (a name with a
    line break must not add a line to a message or a suggested command)."""

    def __getitem__(self, key: str) -> Any:
        value = visible(super().__getitem__(key))
        return bounded(value) if isinstance(value, str) else value

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def finding_fields(target: Target, instance: Instance, extra: Mapping[str, Any]) -> FieldValues:
    """The fields of a finding on ``target`` in ``instance`` (``{name}``, ``{workspace}``...)."""
    row = target.row or {}
    parts = parsed(target.id)
    ws_parts = parsed(instance.id)
    return FieldValues(
        {
            "id": target.id,
            "name": row.get("name") or parts.name,
            "type": target.type,
            "resourceGroup": row.get("resourceGroup") or parts.resource_group,
            "subscriptionId": row.get("subscriptionId") or parts.subscription_id,
            "workspace": instance.name,
            "workspaceId": instance.id,
            "workspaceResourceGroup": ws_parts.resource_group,
            "workspaceSubscriptionId": ws_parts.subscription_id,
            "solutionSubnetId": instance.solution_subnet or "<solution-subnet-id>",
            **extra,
        }
    )


def explain(trace: list[Explanation]) -> tuple[Any, Any, str | None, list[Any]]:
    """(expected, actual, path, offenders) of a failure's first explanation."""
    if not trace:
        return None, None, None, []
    first = trace[0]
    offenders = list(first.offenders)
    actual = offenders if offenders else first.actual
    return first.expected, actual, first.path, offenders
