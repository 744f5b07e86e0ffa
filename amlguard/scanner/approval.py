"""Who can approve a managed private endpoint: roles judged by their permissions (AMLG-106).

A role assignment counts for a target when its scope covers the target (a path prefix, or a
management group above the target's subscription) and its role grants, after ``notActions``,
``<Provider>/<type>/privateEndpointConnectionsApproval/action`` or
``<Provider>/<type>/privateEndpointConnections/write`` for the target's type (``*`` wildcards
as Azure RBAC expands them, case-insensitively). Role definitions come from the same
``authorizationresources`` table as the assignments; a role whose definition the scan lacks
counts only when it is one of the ``accepted`` roles (the fast path), and a custom role never
silently passes without its permissions.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from amlguard.scanner import ids, shapes
from amlguard.scanner.assignments import group_assignments, role_assignments
from amlguard.scanner.conditions import related_source
from amlguard.scanner.context import EvalContext
from amlguard.scanner.inscan import not_in_scan
from amlguard.scanner.inventory import Inventory, Row
from amlguard.scanner.paths import MISSING, get_key
from amlguard.scanner.shapes import MalformedValue, Where
from amlguard.textsafe import visible

ROLE_DEFINITION = "microsoft.authorization/roledefinitions"
APPROVAL_SUFFIXES = (
    "privateEndpointConnectionsApproval/action",
    "privateEndpointConnections/write",
)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


@lru_cache(maxsize=4096)
def _pattern(action: str) -> re.Pattern[str]:
    return re.compile(
        "^" + ".*".join(re.escape(p) for p in action.strip().split("*")) + "$", re.IGNORECASE
    )


def grants(permissions: Any, action: str, where: Where | None = None) -> bool:
    """Whether a role's ``permissions`` blocks grant ``action`` (actions minus notActions).

    With ``where`` the blocks are read strictly (:mod:`amlguard.scanner.shapes`): a block, an
    ``actions`` or a ``notActions`` list of the wrong shape cannot be judged, never "none"."""
    if where is not None:
        return _grants_strict(permissions, action, where)
    for block in _list(permissions):
        block = _dict(block)
        allowed = any(
            isinstance(a, str) and _pattern(a).match(action)
            for a in _list(get_key(block, "actions"))
        )
        denied = any(
            isinstance(a, str) and _pattern(a).match(action)
            for a in _list(get_key(block, "notActions"))
        )
        if allowed and not denied:
            return True
    return False


def _grants_strict(permissions: Any, action: str, where: Where) -> bool:
    for i, block in enumerate(shapes.items(permissions, where) or []):
        at = where / i
        body = shapes.obj(block, at) or {}
        allowed = shapes.strings(shapes.member(body, "actions"), at / "actions")
        denied = shapes.strings(shapes.member(body, "notActions"), at / "notActions")
        if any(_pattern(a).match(action) for a in allowed) and not any(
            _pattern(a).match(action) for a in denied
        ):
            return True
    return False


def approval_actions(target_type: str) -> list[str]:
    """The actions that approve a private endpoint connection on resources of ``target_type``."""
    return [f"{target_type.strip('/')}/{suffix}" for suffix in APPROVAL_SUFFIXES]


def definitions(inv: Inventory) -> dict[str, Row]:
    """Role definition rows by GUID (lower-cased), built once per inventory."""
    memo = inv.memo.setdefault("roleDefinitions", {})
    if not memo:
        memo[""] = {}
        for row in inv.of_type(ROLE_DEFINITION):
            memo[""][ids.guid_tail(str(row.get("name") or row["id"]))] = row
    return memo[""]  # type: ignore[no-any-return,unused-ignore]


def covers_type(
    inv: Inventory, role_guid: str, target_type: str, strict: bool = False
) -> bool | None:
    """Whether the role can approve connections on ``target_type``; None when its definition is
    not in the inventory. ``strict``: a definition whose permissions are malformed or unknown
    cannot be judged (the rule's evaluation), instead of granting nothing."""
    row = definitions(inv).get(role_guid)
    if row is None:
        return None
    if strict:
        at = Where(row.get("id", role_guid), "properties")
        props = shapes.obj(row.get("properties"), at) or {}
        perms = shapes.member(props, "permissions")
        return any(grants(perms, a, at / "permissions") for a in approval_actions(target_type))
    memo = inv.memo.setdefault("roleCoversType", {})
    key = (role_guid, target_type.lower())
    found = memo.get(key)
    if found is None:
        perms = get_key(_dict(row.get("properties")), "permissions")
        found = memo[key] = any(grants(perms, a) for a in approval_actions(target_type))
    return bool(found)


@related_source("approverAssignments")
def approver_assignments(
    ctx: EvalContext,
    principal: Any,
    scope: Any,
    target_type: Any = None,
    accepted: Any = None,
    evaluate: Any = True,
    role: Any = None,
) -> list[Any]:
    """The assignments of ``principal`` covering ``scope`` whose role can approve private
    endpoint connections of ``target_type``: by the role's permissions (``evaluate``), or by
    being one of the ``accepted`` role GUIDs when its definition is not in the scan."""
    covering = role_assignments(ctx, principal, scope)
    accepted_guids = _accepted_guids(accepted, role)
    rtype = target_type if isinstance(target_type, str) and target_type else MISSING

    def approves(assignment: dict[str, Any]) -> bool:
        guid = ids.guid_tail(str(assignment.get("roleDefinitionId") or ""))
        verdict = (
            covers_type(ctx.inventory, guid, rtype, strict=True)
            if evaluate is not False and (rtype is not MISSING)
            else None
        )
        return verdict is True or (verdict is None and guid in accepted_guids)

    out = [a for a in covering if approves(a)]
    if (
        not out
        and isinstance(principal, str)
        and principal.strip()
        and isinstance(scope, str)
        and ctx.inventory.get(scope) is None
    ):
        # A resource the scan never read: the assignments at its own scopes (its resource
        # group, its subscription) were not read either; only one already read covers it.
        # (With no identity at all nothing can cover it: that stays a definite failure.)
        raise not_in_scan(
            scope,
            target_type,
            "the role assignments on it were not read, so whether the workspace identity can "
            "approve its private endpoint connections cannot be judged",
        )
    if not out:
        # A group may hold the identity (group-only RBAC): membership is not read, so an
        # approver role granted to a group cannot be judged either way (as deny assignments
        # to groups, denials.py); never "no role" (the fix would duplicate the grant).
        for assignment in group_assignments(ctx, str(scope)):
            if approves(assignment):
                raise MalformedValue(_group_doubt(assignment, scope))
    return out


#: (accepted role ids, role) -> their GUIDs: the rule's parameters, the same on every call
_ACCEPTED: dict[tuple[tuple[str, ...], str], frozenset[str]] = {}


def _accepted_guids(accepted: Any, role: Any) -> frozenset[str] | set[str]:
    """The GUIDs of the ``accepted`` roles and ``role``; remembered for lists of strings."""
    listed = _list(accepted)
    if type(role) is str and all(type(r) is str for r in listed):
        key = (tuple(listed), role)
        found = _ACCEPTED.get(key)
        if found is None:
            if len(_ACCEPTED) >= 256:
                _ACCEPTED.clear()
            found = _ACCEPTED[key] = frozenset(ids.guid_tail(r) for r in [*listed, role] if r)
        return found
    return {ids.guid_tail(str(r)) for r in [*listed, role] if r}


def _group_doubt(assignment: dict[str, Any], scope: Any) -> str:
    """Why an approver role held by a group leaves AMLG-106 undecided, in words."""
    who = visible(str(assignment.get("principalId") or "?"))
    role = visible(ids.guid_tail(str(assignment.get("roleDefinitionId") or "")) or "?")
    at = visible(ids.short_if_id(str(assignment.get("scope") or "?")))
    return (
        f"role {role}, which can approve private endpoint connections on "
        f"{visible(ids.short_if_id(str(scope)))}, is assigned at {at} to group {who}: the "
        "workspace identity may be a member of that group, and group membership is not read, "
        "so whether it can approve cannot be judged"
    )
