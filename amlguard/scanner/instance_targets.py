"""Target selectors of issue 13: every compute of an instance (AMLG-114) and the storage an
instance integrates through data as well as through outbound rules (AMLG-203)."""

from __future__ import annotations

from typing import Any

from amlguard.scanner import ids
from amlguard.scanner.datastores import STORAGE, data_storage, storage_account_of, unresolved_reason
from amlguard.scanner.instances import Instance
from amlguard.scanner.inventory import Inventory
from amlguard.scanner.targets import COMPUTE, Selection, Target, computes_of, selector, target_of

_target = target_of  # the type an id names is already lower-cased by ids.parse


@selector("workspaceComputes")
def _workspace_computes(instance: Instance, inv: Inventory, spec: dict[str, Any]) -> Selection:
    """Every compute of the workspace and of a hub's projects, in any isolation mode."""
    out = []
    for ws in [instance.id, *(str(p["id"]) for p in instance.projects)]:
        for compute in computes_of(inv, ws):
            out.append(Target(str(compute["id"]), COMPUTE, compute))
    return Selection(out)


@selector("integratedAndDatastores")
def _integrated_and_datastores(
    instance: Instance, inv: Inventory, spec: dict[str, Any]
) -> Selection:
    """The integrated resources plus the storage accounts the datastores and storage
    connections of the workspace (and a hub's projects) name, minus associated resources
    (with ``roles``: the associated resources of those roles first); a storage sub-resource
    (a container) stands for its account, and a storage URL naming an account the inventory
    lacks is a target without a row that says so (an error, never dropped)."""
    own = {ids.norm(v) for v in instance.associated.values()} | {ids.norm(instance.id)}
    workspaces = [instance.id, *(str(p["id"]) for p in instance.projects)]
    roles = {str(r).lower() for r in spec.get("roles", [])}
    candidates = [rid for role, rid in instance.associated.items() if role.lower() in roles]
    own -= {ids.norm(c) for c in candidates}
    candidates += [storage_account_of(i) or i for i in instance.integrated]
    candidates += [account for account, _group in data_storage(inv, workspaces)]
    types = {str(t).lower() for t in spec.get("types", [])}
    seen: set[str] = set()
    out = []
    for cand in candidates:
        key = ids.norm(cand)
        if not key or key in own or key in seen:
            continue
        seen.add(key)
        reason = unresolved_reason(inv, cand)
        target = Target(cand, STORAGE, None, reason) if reason else _target(inv, cand)
        if not types or target.type.lower() in types:
            out.append(target)
    return Selection(out)
