"""Role assignments that cover a scope: the ``roleAssignments`` related source.

Apart from :mod:`primitives` so that :mod:`approval` (the approver role judged by permission)
can build on it without the two importing each other.
"""

from __future__ import annotations

from typing import Any

from amlguard.scanner import ids
from amlguard.scanner.conditions import related_source
from amlguard.scanner.context import EvalContext, Undeterminable
from amlguard.scanner.inventory import ROLE_ASSIGNMENT, Row
from amlguard.scanner.paths import MISSING, get_key

#: ``principalType`` values that name a group: its members are not in the inventory
GROUP_TYPES = frozenset({"group", "foreigngroup"})


def _present(value: Any) -> bool:
    return value is not MISSING and value is not None and value != ""


def _props(row: Any) -> dict[str, Any]:
    p = row.get("properties") if isinstance(row, dict) else None
    if p is None and isinstance(row, dict):  # any casing, as ARM reads property names
        p = get_key(row, "properties")
    return p if isinstance(p, dict) else {}


@related_source("roleAssignments")
def role_assignments(ctx: EvalContext, principal: Any, scope: Any, role: Any = None) -> list[Any]:
    """Assignments of ``principal`` (of role ``role``, by GUID) whose scope covers ``scope``."""
    if not _present(principal):
        if ctx.instance is not None and not ctx.instance.primary_identity:
            return []  # no primary user-assigned identity: nobody holds the role (AMLG-105 says why)
        raise Undeterminable(
            "the principal id of the primary user-assigned identity is not in the workspace row"
        )
    wanted_role = ids.guid_tail(str(role)) if _present(role) else ""
    out = []
    unsure: list[str] = []  # management groups whose place above the scope is unknown
    for ra in ctx.inventory.assignments_by_principal.get(str(principal).lower(), []):
        props = _props(ra)
        # property names in any casing (ARM's are case-insensitive); the item spells them so
        role_def = get_key(props, "roleDefinitionId")
        if wanted_role and ids.guid_tail(role_def) != wanted_role:
            continue
        assigned = get_key(props, "scope")
        assigned = None if assigned is MISSING else assigned
        covered = _assignment_covers(ctx, str(assigned or ""), str(scope))
        if covered is None:
            unsure.append(ids.management_group_of(str(assigned)))
        elif covered:
            item = {"id": ra["id"], "scope": assigned, **props}
            if role_def is not MISSING:
                item["roleDefinitionId"] = role_def
            out.append(item)
    if unsure and not out:
        # Only an assignment whose reach is unknown could cover the scope: say so, do not guess.
        sub = ids.parse(str(scope)).subscription_id or "?"
        raise Undeterminable(
            f"a role assignment at management group {unsure[0]} may cover "
            f"{ids.short_if_id(str(scope))}, but the management groups above subscription {sub} "
            "are not in the inventory (scan it live, or take the snapshot with amlguard snapshot)"
        )
    return out


def _assignment_covers(ctx: EvalContext, assigned: str, scope: str) -> bool | None:
    """Whether an assignment at ``assigned`` applies at ``scope``: a path prefix, or a
    management group above the scope's subscription (which the id does not show); None when
    the management groups above that subscription are unknown."""
    group = ids.management_group_of(assigned)
    if not group:
        return ids.covers(assigned, scope)
    sub = ids.parse(scope).subscription_id
    above = ctx.inventory.management_groups.get(sub.lower()) if sub else None
    return None if above is None else group.lower() in above


def group_assignments(ctx: EvalContext, scope: str) -> list[dict[str, Any]]:
    """Assignments to a group (``principalType`` Group or ForeignGroup) whose scope covers
    ``scope``, or may (a management group whose place is unknown): the workspace identity may be
    a member, and membership is not read. Items as :func:`role_assignments` gives them."""
    out = []
    for ra in _group_rows(ctx):
        props = _props(ra)
        assigned = get_key(props, "scope")
        assigned = None if assigned is MISSING else assigned
        if _assignment_covers(ctx, str(assigned or ""), str(scope)) is not False:
            item = {"id": ra["id"], "scope": assigned, **props}
            role_def = get_key(props, "roleDefinitionId")
            if role_def is not MISSING:
                item["roleDefinitionId"] = role_def
            out.append(item)
    return out


def _group_rows(ctx: EvalContext) -> list[Row]:
    """The role assignments to groups, found once per inventory."""
    memo = ctx.inventory.memo.setdefault("groupAssignments", {})
    found = memo.get("")
    if found is None:
        found = memo[""] = [
            ra
            for ra in ctx.inventory.of_type(ROLE_ASSIGNMENT)
            if str(get_key(_props(ra), "principalType") or "").strip().lower() in GROUP_TYPES
        ]
    return found
