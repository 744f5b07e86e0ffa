"""``approver-role``: the network connection approver role on each uncovered resource group.

Least privilege: the resource group of each resource the role does not cover, never the
subscription. The assignment name is uuid5 of (scope, role, principal), so a rerun PUTs the same
name and ``RoleAssignmentExists`` counts as success.
"""

from __future__ import annotations

import uuid

from amlguard.remediate.clients import AUTHZ_API_VERSION, RemediationClients
from amlguard.remediate.interface import PlanContext, Proposal, Remediator, manual_for, register
from amlguard.remediate.plan import Action, ApiCall, Change
from amlguard.scanner import ids
from amlguard.scanner.model import Finding

DEFAULT_ROLE = "b556d68e-0be0-4f35-a333-ad7ee1ce17ea"


def assignment_name(scope: str, role_guid: str, principal_id: str) -> str:
    """The deterministic role assignment name: uuid5 over (scope, role, principal)."""
    return str(
        uuid.uuid5(
            uuid.NAMESPACE_URL, f"{scope.lower()}/{role_guid.lower()}/{principal_id.lower()}"
        )
    )


@register
class ApproverRole(Remediator):
    """Creates the approver role assignment for the workspace's primary identity."""

    name = "approver-role"

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
            role = ids.guid_tail(str(ctx.param(f.rule_id, "role_definition_id") or DEFAULT_ROLE))
            scopes: dict[str, str] = {}
            for target in f.offenders:
                if ids.norm(str(target)) not in inst.members():
                    continue  # never act outside the scanned instance
                scope = ids.resource_group_scope(str(target))
                if scope:
                    scopes.setdefault(ids.norm(scope), scope)
            for scope in scopes.values():
                sub = ids.parse(scope).subscription_id
                name = assignment_name(scope, role, inst.principal_id)
                ra_id = f"{scope}/providers/Microsoft.Authorization/roleAssignments/{name}"
                body = {
                    "properties": {
                        "roleDefinitionId": f"/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/{role}",
                        "principalId": inst.principal_id,
                        "principalType": "ServicePrincipal",
                    }
                }
                out.actions.append(
                    Action(
                        id="",
                        remediator=self.name,
                        operation="create-role-assignment",
                        instance=inst.id,
                        target=scope,
                        summary=(
                            f"Assign role {role} to the identity of workspace {inst.name} on "
                            f"resource group {ids.parse(scope).resource_group}"
                        ),
                        call=ApiCall(
                            "PUT",
                            ra_id,
                            AUTHZ_API_VERSION,
                            "AuthorizationManagementClient.role_assignments.create",
                        ),
                        body=body,
                        changes=(
                            Change(ra_id, None, False, True, label=f"role assignment {name}"),
                        ),
                        rule_ids=(f.rule_id,),
                        params={"assignment_name": name, "assignment_id": ra_id},
                    )
                )
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
