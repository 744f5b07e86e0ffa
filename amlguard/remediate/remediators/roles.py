"""``approver-role``: the network connection approver role on each uncovered resource group.

Least privilege: the resource group of each resource the role does not cover, never the
subscription. The assignment name is uuid5 of (scope, role, principal), so a rerun PUTs the same
name and ``RoleAssignmentExists`` counts as success. The principal is always the workspace's
primary user-assigned identity and the role the approver role (or the one the rule's
``role_definition_id`` parameter names): a saved plan that says otherwise is refused.
"""

from __future__ import annotations

import uuid

from amlguard.remediate.clients import AUTHZ_API_VERSION, RemediationClients
from amlguard.remediate.interface import PlanContext, Proposal, Remediator, manual_for
from amlguard.remediate.live import LiveView, Tampered
from amlguard.remediate.plan import Action, ApiCall, Change
from amlguard.remediate.remediators import customrole
from amlguard.scanner import ids
from amlguard.scanner.approval import covers_type
from amlguard.scanner.model import Finding

DEFAULT_ROLE = "b556d68e-0be0-4f35-a333-ad7ee1ce17ea"
ROLE_NAMES = {DEFAULT_ROLE: "Azure AI Enterprise Network Connection Approver"}


def role_label(role_guid: str) -> str:
    """``Name (guid)`` for a known role, the guid otherwise."""
    name = ROLE_NAMES.get(role_guid.lower())
    return f"{name} ({role_guid})" if name else role_guid


def assignment_name(scope: str, role_guid: str, principal_id: str) -> str:
    """The deterministic role assignment name: uuid5 over (scope, role, principal)."""
    return str(
        uuid.uuid5(
            uuid.NAMESPACE_URL, f"{scope.lower()}/{role_guid.lower()}/{principal_id.lower()}"
        )
    )


def role_action(
    instance_id: str, scope: str, role: str, principal_id: str, rule_ids: tuple[str, ...]
) -> Action:
    """The PUT of one role assignment of ``role`` to ``principal_id`` on ``scope``."""
    sub = ids.parse(scope).subscription_id
    name = assignment_name(scope, role, principal_id)
    ra_id = f"{scope}/providers/Microsoft.Authorization/roleAssignments/{name}"
    return Action(
        id="",
        remediator="approver-role",
        operation="create-role-assignment",
        instance=instance_id,
        target=scope,
        summary=(
            f"Assign role {role_label(role)} to the identity of workspace "
            f"{ids.parse(instance_id).name} (principal {principal_id}) on resource group "
            f"{ids.parse(scope).resource_group}"
        ),
        call=ApiCall(
            "PUT",
            ra_id,
            AUTHZ_API_VERSION,
            "AuthorizationManagementClient.role_assignments.create",
        ),
        body={
            "properties": {
                "roleDefinitionId": f"/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/{role}",
                "principalId": principal_id,
                "principalType": "ServicePrincipal",
            }
        },
        changes=(Change(ra_id, None, False, True, label=f"role assignment {name}"),),
        rule_ids=rule_ids,
        params={"assignment_name": name, "assignment_id": ra_id, "role": role},
    )


class ApproverRole(Remediator):
    """Creates the approver role assignment for the workspace's primary identity."""

    name = "approver-role"
    managed_network_only = True

    def plan(self, findings: list[Finding], ctx: PlanContext) -> Proposal:
        out = Proposal()
        for f in findings:
            inst = ctx.instance_of(f)
            if not inst.principal_id:
                out.manual.append(
                    manual_for(
                        f, inst, "the workspace has no primary user-assigned identity (AMLG-105)"
                    )
                )
                continue
            role = ids.guid_tail(
                str(ctx.param(f.rule_id, "role_definition_id") or DEFAULT_ROLE)
            ).lower()
            scopes: dict[str, str] = {}
            # type -> resource-group scopes where the role's definition does not cover it
            uncovered: dict[str, dict[str, str]] = {}
            for target in f.offenders:
                if ids.norm(str(target)) not in inst.members():
                    continue  # never act outside the scanned instance
                if ctx.inventory.get(str(target)) is None:
                    # never a grant on a resource group the scan did not read (redteam10 #4)
                    reason = (
                        f"{ids.short_if_id(str(target))} is not in the scanned inventory: "
                        "amlguard assigns no role on a resource group it did not read; scan "
                        "its subscription, then fix"
                    )
                    out.manual.append(manual_for(f, inst, reason))
                    continue
                scope = ids.resource_group_scope(str(target))
                if not scope:
                    continue
                row = ctx.inventory.get(str(target)) or {}
                rtype = str(row.get("type") or ids.parse(str(target)).type)
                if covers_type(ctx.inventory, role, rtype) is False:
                    spelled = customrole.spelled_type(str(target))
                    uncovered.setdefault(spelled.lower(), {"": spelled})[ids.norm(scope)] = scope
                    continue
                scopes.setdefault(ids.norm(scope), scope)
            for scope in scopes.values():
                out.actions.append(
                    role_action(inst.id, scope, role, inst.principal_id, (f.rule_id,))
                )
            for found in uncovered.values():
                spelled = found.pop("")
                reason = (
                    f"role {role_label(role)} does not cover {spelled}: assigning it would change "
                    "nothing; create and assign the custom, scoped-down role below"
                )
                command = customrole.commands(spelled, list(found.values()), inst.principal_id)
                out.manual.append(manual_for(f, inst, reason, command))
        return out

    def apply(self, action: Action, clients: RemediationClients) -> str:
        from azure.core.exceptions import ResourceExistsError
        from azure.mgmt.authorization.v2022_04_01.models import RoleAssignmentCreateParameters

        props = action.body["properties"]
        client = clients.authorization(ids.parse(action.target).subscription_id)
        try:
            client.role_assignments.create(
                action.target,
                action.params["assignment_name"],
                RoleAssignmentCreateParameters(
                    role_definition_id=props["roleDefinitionId"],
                    principal_id=props["principalId"],
                    principal_type=props["principalType"],
                ),
            )
        except ResourceExistsError as exc:
            code = getattr(getattr(exc, "error", None), "code", "")
            if code == "RoleAssignmentExists":
                return "already assigned"
            raise
        return "assigned"

    def permissions(self, action: Action) -> list[tuple[str, str]]:
        return [(action.target, "Microsoft.Authorization/roleAssignments/write")]

    def rebuild(self, action: Action, live: LiveView) -> Action:
        """Role from the accepted set, principal from the live workspace, scope a resource
        group of one of its live members."""
        if action.operation != "create-role-assignment":
            raise Tampered(f"{self.name} does not do {action.operation}")
        declared = action.body.get("properties") if isinstance(action.body, dict) else None
        role = ids.guid_tail(str((declared or {}).get("roleDefinitionId") or "")).lower()
        configured = live.param(action.rule_ids, "role_definition_id")
        accepted = {DEFAULT_ROLE} | {ids.guid_tail(str(configured or "")).lower()} - {""}
        if role not in accepted:
            raise Tampered(
                f"role {role or '(none)'} is not the approver role ({', '.join(sorted(accepted))})"
            )
        principal = live.principal_id(action.instance)
        if not principal:
            raise Tampered(
                f"workspace {ids.parse(action.instance).name} has no primary user-assigned "
                "identity in Azure"
            )
        scope = ids.resource_group_scope(action.target)
        if not scope or ids.norm(scope) != ids.norm(action.target):
            raise Tampered(f"scope {action.target} is not a resource group")
        groups = {ids.norm(ids.resource_group_scope(m)) for m in live.members(action.instance)}
        if ids.norm(scope) not in groups:
            raise Tampered(f"scope {scope} holds no resource of the workspace")
        return role_action(action.instance, scope, role, principal, action.rule_ids)
