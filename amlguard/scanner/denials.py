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
- its ``permissions`` (actions minus notActions, ``*`` wildcards, case-insensitively) cover
  one of the approval actions for the resource's type.

The identity can still approve while one approval action that its roles grant there is denied
by nothing (redteam7 #5): a Deployment Stack's ``denyWriteAndDelete`` denies ``*/write``, which
takes ``privateEndpointConnections/write`` away but leaves a key vault's
``privateEndpointConnectionsApproval/action``. So a resource counts as denied only when the deny
assignments together deny every approval action the identity's approver roles (as
``approverAssignments`` counts them) grant on its type; a role whose definition is neither in
the scan nor one amlguard knows (:mod:`amlguard.scanner.builtinroles`), or one counted through
``accepted_roles`` whose known definition grants nothing on the type, may grant any of them, so
then every approval action of the type must be denied, and a partial denial cannot be judged.
With no approver role at all, the actions the fix's role would grant are judged (the first
count already lists the resource).

A deny assignment for a group cannot be judged (group membership is not in the inventory): the
finding is ``error`` naming it. Values are read strictly (:mod:`amlguard.scanner.shapes`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from amlguard.scanner import builtinroles, ids, shapes
from amlguard.scanner.approval import (
    approval_actions,
    approver_assignments,
    definitions,
    grants,
)
from amlguard.scanner.conditions import related_source
from amlguard.scanner.context import EvalContext
from amlguard.scanner.inventory import Inventory, Row
from amlguard.scanner.paths import MISSING
from amlguard.scanner.primitives import instance_resources
from amlguard.scanner.shapes import MalformedValue, Where
from amlguard.scanner.sources.denyreads import DENY_ASSIGNMENT, LISTED_FOR
from amlguard.textsafe import visible

#: the principal a deny assignment names to apply to everyone
EVERYONE = "00000000-0000-0000-0000-000000000000"

__all__ = ["DENY_ASSIGNMENT", "EVERYONE", "LISTED_FOR", "approval_denials", "denied", "granted"]
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


class Denied(NamedTuple):
    """What one deny assignment denies a principal on one target."""

    actions: list[str]  # the approval actions of the target's type it denies
    doubt: str | None  # why whether it applies cannot be judged (None: it applies)


def denied(
    deny: Row, principal: str, target_id: str, target_type: str, groups: GroupsAbove
) -> Denied:
    """Which approval actions ``deny`` denies ``principal`` on ``target_id`` (none: an empty
    list); ``groups``: the management groups above each subscription, where the inventory has
    them. ``doubt`` says why it may or may not apply (a group principal, an unrecorded
    management-group scope)."""
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
        return NOTHING
    perms = shapes.member(props, "permissions")
    actions = [a for a in approval_actions(target_type) if grants(perms, a, at / "permissions")]
    if not actions:
        return NOTHING
    who = principal.strip().lower()
    exclusions = _principal_ids(shapes.member(props, "excludePrincipals"), at)
    if who in {p for p, _ in exclusions}:
        return NOTHING
    # an excluded group may hold the identity: then Azure exempts it (redteam8 item 5)
    excluded_group = next(
        (
            f"deny assignment {_name(deny, props)} denies {_spell(actions)} at "
            f"{ids.short_if_id(scope)} but excludes group {visible(pid)}: whether the workspace "
            "identity is a member cannot be read, so whether it can approve cannot be judged"
            for pid, kind in exclusions
            if kind == "group"
        ),
        None,
    )
    doubt = None
    for pid, kind in _principal_ids(shapes.member(props, "principals"), at / "principals"):
        if pid == who or (pid == EVERYONE and kind in ("systemdefined", "")):
            if covered is None:
                return Denied(
                    actions,
                    f"deny assignment {_name(deny, props)} denies {_spell(actions)} at "
                    f"management group {ids.short_if_id(scope)}: which subscriptions it covers "
                    f"was not recorded ({LISTED_FOR}) and the management groups above the "
                    "subscription are not in the inventory, so whether it applies cannot be "
                    "judged",
                )
            return Denied(actions, excluded_group)
        if kind == "group" and doubt is None:
            doubt = (
                f"deny assignment {_name(deny, props)} denies {_spell(actions)} to group {visible(pid)} "
                f"at {ids.short_if_id(scope)}: whether the workspace identity is a member "
                "cannot be read, so whether it can approve cannot be judged"
            )
    return Denied(actions, doubt) if doubt else NOTHING


NOTHING = Denied([], None)


def _spell(actions: list[str]) -> str:
    return " and ".join(actions)


def _name(deny: Row, props: dict[str, Any]) -> str:
    name = props.get("denyAssignmentName")
    shown = name if isinstance(name, str) and name.strip() else str(deny.get("name") or "?")
    return "'" + visible(shown) + "'"


def _role_actions(inv: Inventory, guid: str, target_type: str) -> list[str] | None:
    """The approval actions of ``target_type`` that role ``guid`` grants: from its definition
    in the scan (read strictly), else from the built-in definitions amlguard knows; None when
    neither has it."""
    row = definitions(inv).get(guid)
    if row is not None:
        at = Where(row.get("id", guid), "properties")
        props = shapes.obj(row.get("properties"), at) or {}
        perms = shapes.member(props, "permissions")
        return [a for a in approval_actions(target_type) if grants(perms, a, at / "permissions")]
    known = builtinroles.permissions(guid)
    if known is None:
        return None
    return [a for a in approval_actions(target_type) if grants(known, a)]


class Judge(NamedTuple):
    """How AMLG-106 counts a role as an approver (``approverAssignments``' parameters)."""

    accepted: Any
    evaluate: Any
    role: Any


class Granted(NamedTuple):
    """The approval actions the identity's roles grant on one target."""

    actions: set[str]
    unread: list[str]  # roles counted as approvers whose actions on the type cannot be read


def granted(ctx: EvalContext, principal: str, target: Mapping[str, Any], judge: Judge) -> Granted:
    """What the approver roles of ``principal`` covering ``target`` grant (as
    ``approverAssignments`` counts them); with none, what the fix's role would grant (all the
    type's approval actions when that is not known either)."""
    rtype = str(target["type"])
    assignments = approver_assignments(ctx, principal, str(target["id"]), rtype, *judge)
    guids = [ids.guid_tail(str(a.get("roleDefinitionId") or "")) for a in assignments]
    actions: set[str] = set()
    unread = []
    for guid in dict.fromkeys(guids):
        found = _role_actions(ctx.inventory, guid, rtype)
        if not found:  # counted (accepted) though what it grants here cannot be read
            unread.append(guid)
        else:
            actions.update(found)
    if not guids:
        fix_role = judge.role if isinstance(judge.role, str) and judge.role.strip() else ""
        found = _role_actions(ctx.inventory, ids.guid_tail(fix_role), rtype) if fix_role else None
        actions = set(approval_actions(rtype) if found is None else found)
    return Granted(actions, unread)


def _blocked(
    target: Mapping[str, Any], grant: Granted, found: list[tuple[Row, Denied]]
) -> list[tuple[Row, list[str]]]:
    """The deny assignments that together deny every approval action ``grant`` holds on
    ``target`` (each with the actions it denies), or none when one granted action survives;
    a denial that hinges on what cannot be read raises :class:`MalformedValue`."""
    sure = {a for _, d in found if d.doubt is None for a in d.actions}
    maybe = {a for _, d in found for a in d.actions}
    if grant.actions and not grant.actions <= maybe:
        return []  # an approval action the identity holds is denied by nothing
    wanted = set(approval_actions(str(target["type"]))) if grant.unread else grant.actions
    if not wanted:
        return []
    if wanted <= sure:
        return [
            (deny, [a for a in d.actions if a in wanted])
            for deny, d in found
            if d.doubt is None and any(a in wanted for a in d.actions)
        ]
    if wanted <= maybe:
        raise MalformedValue(next(d.doubt for _, d in found if d.doubt))
    survivors = sorted(set(approval_actions(str(target["type"]))) - maybe)
    raise MalformedValue(
        f"on {ids.short_if_id(str(target['id']))} the deny assignments deny "
        f"{_spell(sorted(maybe))} but not {_spell(survivors)}; whether role(s) "
        f"{', '.join(grant.unread)} grant the latter cannot be read (the role definition is "
        "not in the scan), so whether the workspace identity can approve cannot be judged"
    )


@related_source("approvalDenials")
def approval_denials(
    ctx: EvalContext,
    principal: Any = None,
    roles: Any = None,
    integrated: Any = False,
    accepted: Any = None,
    evaluate: Any = True,
    role: Any = None,
) -> list[Any]:
    """The instance's resources (``roles``, ``integrated`` as in ``instanceResources``) on
    which deny assignments deny ``principal`` every approval action its approver roles grant
    there (``accepted``, ``evaluate``, ``role`` as in ``approverAssignments``; with no such
    role, every action the fix's ``role`` would grant): one item per resource and deny
    assignment, its ``id`` naming the deny assignment and the actions it denies."""
    denies = ctx.inventory.of_type(DENY_ASSIGNMENT)
    groups = ctx.inventory.management_groups
    if not denies or not isinstance(principal, str) or not principal.strip():
        return []  # no identity: the role count says so
    judge = Judge(accepted, evaluate, role)
    out = []
    for target in instance_resources(ctx, roles, integrated):
        if not target.get("found"):
            continue
        tid, rtype = str(target["id"]), str(target["type"])
        found = [(deny, denied(deny, principal, tid, rtype, groups)) for deny in denies]
        found = [(deny, d) for deny, d in found if d.actions]
        if not found:
            continue
        for deny, actions in _blocked(target, granted(ctx, principal, target, judge), found):
            props = deny.get("properties")
            props = props if isinstance(props, dict) else {}
            out.append(
                {
                    "id": (
                        f"{ids.short_if_id(tid)} (deny assignment "
                        f"{_name(deny, props)} denies {_spell(actions)})"
                    ),
                    "name": str(deny.get("id")),
                }
            )
    return out
