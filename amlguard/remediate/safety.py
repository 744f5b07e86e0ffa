"""What a plan never holds, whatever a rule or remediator asks (real-estates 4.6).

- No write on a project workspace (kind ``Project``): projects take their network, endpoints
  and identity from their hub, and are fixed through it. Instances never make a project a
  target; this is the last line, checked on every drafted action.
- No managed-network write (outbound rules, provisioning, approver roles) for a customer-VNet
  workspace: it has no managed network.
"""

from __future__ import annotations

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
        touched = [action.target, action.call.path, *(c.resource_id for c in action.changes)]
        project = next((t for t in touched if _under_project(str(t), inventory)), None)
        if project is None:
            kept.append(action)
            continue
        warnings.append(
            f"refused {action.operation} on project workspace {ids.short_if_id(project)}: "
            "projects are fixed through their hub"
        )
    return kept, warnings


def _under_project(resource_id: str, inventory: Inventory) -> bool:
    """Whether ``resource_id`` is a project workspace or a child of one."""
    lowered = resource_id.lower()
    marker = "/providers/microsoft.machinelearningservices/workspaces/"
    at = lowered.find(marker)
    if at < 0:
        return False
    rest = resource_id[at + len(marker) :].split("/", 1)[0]
    row = inventory.get(resource_id[: at + len(marker)] + rest)
    return row is not None and is_project(row)
