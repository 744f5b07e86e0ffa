"""What a plan never holds, whatever a rule or remediator asks (real-estates 4.6).

- No write on a project workspace (kind ``Project``): projects take their network, endpoints
  and identity from their hub, and are fixed through it. Instances never make a project a
  target; this is the last line, checked on every drafted action.
- No managed-network write (outbound rules, provisioning, approver roles) for a customer-VNet
  workspace: it has no managed network.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from amlguard.remediate.interface import Remediator
from amlguard.remediate.plan import Action
from amlguard.scanner import ids
from amlguard.scanner.instances import Instance, is_project
from amlguard.scanner.inventory import Inventory

CUSTOM_VNET_REFUSAL = (
    "custom VNet: the workspace has no managed network (network_isolation), so amlguard never "
    "plans outbound rules, provisioning or approver roles for it"
)


def refusal(remediator: Remediator, instance: Instance) -> str | None:
    """Why ``remediator`` may not act for ``instance`` (None: it may)."""
    if remediator.managed_network_only and instance.custom_vnet:
        return CUSTOM_VNET_REFUSAL
    if instance.orphan:
        return "a project whose hub is not in the scan: fix it through its hub"
    return None


def without_project_writes(
    actions: list[Action], inventory: Inventory
) -> tuple[list[Action], list[str]]:
    """``actions`` minus any that writes a project workspace (or a resource under one), and a
    warning for each one dropped."""
    kept: list[Action] = []
    warnings: list[str] = []
    for action in actions:
        project = project_touched(action, lambda ws: _is_project_row(inventory.get(ws)))
        if project is None:
            kept.append(action)
            continue
        warnings.append(
            f"refused {action.operation} on project workspace {ids.short_if_id(project)}: "
            "projects are fixed through their hub"
        )
    return kept, warnings


def project_touched(action: Action, is_project_id: Callable[[str], bool]) -> str | None:
    """The first project workspace ``action`` writes or acts for (its target, request path,
    changed resources, instance, the endpoint it serves), or None; ``is_project_id`` judges a
    workspace id (from the scan's rows when planning, from ARM when a saved plan is applied)."""
    touched = [
        action.target,
        action.call.path,
        *(c.resource_id for c in action.changes),
        action.instance,
        *(str(action.params.get(k) or "") for k in _ID_PARAMS),
    ]
    for resource_id in touched:
        workspace = workspace_of(str(resource_id))
        if workspace and is_project_id(workspace):
            return str(resource_id)
    return None


#: action parameters that hold a resource id the action writes for
_ID_PARAMS = ("endpoint_target", "private_endpoint_id")
_MARKER = "/providers/microsoft.machinelearningservices/workspaces/"


def workspace_of(resource_id: str) -> str:
    """The ML workspace ``resource_id`` is or lies under ('' when none), in its own casing."""
    at = resource_id.lower().find(_MARKER)
    if at < 0:
        return ""
    name = resource_id[at + len(_MARKER) :].split("/", 1)[0]
    return resource_id[: at + len(_MARKER)] + name if name else ""


def _is_project_row(row: dict[str, Any] | None) -> bool:
    return row is not None and is_project(row)


def _under_project(resource_id: str, inventory: Inventory) -> bool:
    """Whether ``resource_id`` is a project workspace of ``inventory`` or a child of one."""
    workspace = workspace_of(resource_id)
    return bool(workspace) and _is_project_row(inventory.get(workspace))
