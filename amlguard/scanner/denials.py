"""Deny assignments that take the approver role's effect away (AMLG-106, redteam5 defect 19).

A deny assignment blocks actions for its principals at its scope even when a role assignment
grants them (Azure RBAC evaluates deny assignments first). One that denies
``<type>/privateEndpointConnectionsApproval/action`` or ``<type>/privateEndpointConnections/
write`` to the workspace identity at a resource's scope leaves that resource's managed private
endpoints Pending, whatever role the identity holds.

A deny assignment applies to a resource when:

- its ``scope`` is the resource or a scope above it (``doNotApplyToChildScopes``: only the
  scope itself); a management-group scope covers the subscriptions whose live list returned
  the assignment (:data:`LISTED_FOR`, recorded by the live read: ARM lists the deny
  assignments at and above a subscription), else the subscriptions whose management-group
  ancestry in the inventory names the group (as for role assignments); with neither, a
  management-group assignment that would deny is ``error``, never ignored;
- its ``principals`` name the identity's principal id, or the everyone principal
  (``00000000-0000-0000-0000-000000000000``, type ``SystemDefined``), and
  ``excludePrincipals`` does not name it;
- its ``permissions`` (actions minus notActions, ``*`` wildcards) cover one of the approval
  actions for the resource's type.

A deny assignment for a group cannot be judged (group membership is not in the inventory): the
finding is ``error`` naming it. Values are read strictly (:mod:`amlguard.scanner.shapes`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from amlguard.scanner import ids, shapes
from amlguard.scanner.approval import approval_actions, grants
from amlguard.scanner.conditions import related_source
from amlguard.scanner.context import EvalContext
from amlguard.scanner.inventory import Row
from amlguard.scanner.paths import MISSING
from amlguard.scanner.primitives import instance_resources
from amlguard.scanner.shapes import MalformedValue, Where
from amlguard.scanner.sources.denyreads import DENY_ASSIGNMENT, LISTED_FOR
from amlguard.textsafe import visible

#: the principal a deny assignment names to apply to everyone
EVERYONE = "00000000-0000-0000-0000-000000000000"

__all__ = ["DENY_ASSIGNMENT", "EVERYONE", "LISTED_FOR", "approval_denials", "denial"]
#: subscription id (lower) -> the management groups above it (``Inventory.management_groups``)
GroupsAbove = Mapping[str, frozenset[str]]


def _principal_ids(value: Any, at: Where) -> list[tuple[str, str]]:
    """(lower-cased id, lower-cased type) of a deny assignment's principal list."""
    out = []
    for i, entry in enumerate(shapes.items(value, at) or []):
        body = shapes.obj(entry, at / i) or {}
        pid = shapes.text(shapes.member(body, "id"), at / i / "id") or ""
        kind = shapes.text(shapes.member(body, "type"), at / i / "type") or ""
        out.append((pid.strip().lower(), kind.strip().lower()))
    return out


def _covers(
    scope: str, target: str, children: bool, listed: set[str] | None, groups: GroupsAbove
) -> bool | None:
    """Whether a deny assignment at ``scope`` applies to ``target`` (the root ``/`` covers
    everything; a management group covers the subscriptions in ``listed``, else those whose
    ancestry ``groups`` names it; None: a management group neither says anything about)."""
    own, inner = ids.norm(scope).rstrip("/"), ids.norm(target)
    if own == inner:
        return True
    if not children:
        return False
    group = ids.management_group_of(scope)
    if group:
        sub = ids.parse(target).subscription_id.lower()
        if listed is not None:
            return sub in listed
        above = groups.get(sub)
        return None if above is None else group.lower() in above
    return own == "" or inner.startswith(own + "/")


def _listed(deny: Row, at: Where) -> set[str] | None:
    """The subscriptions whose live list returned ``deny`` (None: not recorded)."""
    value = shapes.member(deny, LISTED_FOR)
    if value is MISSING or value is None:
        return None
    out = set()
    for i, sub in enumerate(shapes.items(value, at / LISTED_FOR) or []):
        if not isinstance(sub, str) or not sub.strip():
            raise MalformedValue(
                f"{visible(str(at / LISTED_FOR / i))} is {shapes.describe(sub)}, expected a "
                "subscription id: cannot be judged"
            )
        out.add(sub.strip().lower())
    return out


def _scope_of(deny_id: str) -> str:
    """The scope a deny assignment's id names (``<scope>/providers/Microsoft.Authorization/...``)."""
    low = deny_id.lower()
    i = low.rfind("/providers/microsoft.authorization/denyassignments/")
    return deny_id[:i] if i >= 0 else ""


def denial(
    deny: Row, principal: str, target_id: str, target_type: str, groups: GroupsAbove
) -> str | None:
    """Which approval action ``deny`` denies ``principal`` on ``target_id`` (None: none);
    ``groups``: the management groups above each subscription, where the inventory has them."""
    at = Where(deny.get("id", "?"), "properties")
    props = shapes.obj(deny.get("properties"), at) or {}
    scope = shapes.text(shapes.member(props, "scope"), at / "scope")
    if scope is None:
        scope = _scope_of(str(deny.get("id") or ""))
    if not scope.strip():
        raise MalformedValue(f"{visible(str(at / 'scope'))} is absent or empty: cannot be judged")
    flag = shapes.member(props, "doNotApplyToChildScopes")
    if flag is not MISSING and flag not in (None, True, False):
        raise MalformedValue(
            f"{visible(str(at / 'doNotApplyToChildScopes'))} is {shapes.describe(flag)}, "
            "expected true or false: cannot be judged"
        )
    listed = _listed(deny, Where(deny.get("id", "?"), ""))
    covered = _covers(scope, target_id, flag is not True, listed, groups)
    if covered is False:
        return None
    perms = shapes.member(props, "permissions")
    actions = [a for a in approval_actions(target_type) if grants(perms, a, at / "permissions")]
    if not actions:
        return None
    who = principal.strip().lower()
    excluded = {p for p, _ in _principal_ids(shapes.member(props, "excludePrincipals"), at)}
    if who in excluded:
        return None
    for pid, kind in _principal_ids(shapes.member(props, "principals"), at / "principals"):
        if pid == who or (pid == EVERYONE and kind in ("systemdefined", "")):
            if covered is None:
                raise MalformedValue(
                    f"deny assignment {_name(deny, props)} denies {actions[0]} at management "
                    f"group {ids.short_if_id(scope)}: which subscriptions it covers was not "
                    f"recorded ({LISTED_FOR}) and the management groups above the subscription are not in "
                    "the inventory, so whether it applies cannot be judged"
                )
            return actions[0]
        if kind == "group":
            raise MalformedValue(
                f"deny assignment {_name(deny, props)} denies {actions[0]} to group {pid} at "
                f"{ids.short_if_id(scope)}: whether the workspace identity is a member cannot be "
                "read, so whether it can approve cannot be judged"
            )
    return None


def _name(deny: Row, props: dict[str, Any]) -> str:
    name = props.get("denyAssignmentName")
    shown = name if isinstance(name, str) and name.strip() else str(deny.get("name") or "?")
    return "'" + visible(shown) + "'"


@related_source("approvalDenials")
def approval_denials(
    ctx: EvalContext, principal: Any = None, roles: Any = None, integrated: Any = False
) -> list[Any]:
    """The instance's resources (``roles``, ``integrated`` as in ``instanceResources``) on
    which a deny assignment denies ``principal`` the approval actions: one item per resource
    and deny assignment, its ``id`` saying which deny assignment and which action."""
    denies = ctx.inventory.of_type(DENY_ASSIGNMENT)
    groups = ctx.inventory.management_groups
    if not denies or not isinstance(principal, str) or not principal.strip():
        return []  # no identity: the role count says so
    out = []
    for target in instance_resources(ctx, roles, integrated):
        if not target.get("found"):
            continue
        for deny in denies:
            action = denial(deny, principal, str(target["id"]), str(target["type"]), groups)
            if action:
                props = deny.get("properties")
                props = props if isinstance(props, dict) else {}
                out.append(
                    {
                        "id": (
                            f"{ids.short_if_id(str(target['id']))} (deny assignment "
                            f"{_name(deny, props)} denies {action})"
                        ),
                        "name": str(deny.get("id")),
                    }
                )
    return out
