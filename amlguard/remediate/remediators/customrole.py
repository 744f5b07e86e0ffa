"""The custom approver role for types the approver role does not cover (real-estates 4.6).

"To create private endpoint outbound rules for target resource types not covered by the Azure
AI Enterprise Network Connection Approver role, such as Azure Data Factory, Azure Databricks,
and Azure Function Apps, use a custom, scoped-down role." Assigning the built-in role there
would change nothing, so the fix prints the role definition (JSON) and the two commands that
create and assign it, scoped to the resource groups that need it; it never writes it itself.
"""

from __future__ import annotations

import json
import shlex

from amlguard.scanner import ids


def spelled_type(resource_id: str) -> str:
    """A resource id's type as the id spells it (``Microsoft.DataFactory/factories``)."""
    parts = [p for p in resource_id.split("/") if p]
    lowered = [p.lower() for p in parts]
    if "providers" not in lowered:
        return ids.parse(resource_id).type
    at = len(lowered) - 1 - lowered[::-1].index("providers")
    tail = parts[at + 1 :]
    if not tail:
        return ids.parse(resource_id).type
    return "/".join([tail[0], *tail[1::2]])


def role_definition(rtype: str, scopes: list[str]) -> dict[str, object]:
    """A least-privilege role that approves private endpoint connections on ``rtype``."""
    short = rtype.split("/", 1)[0].removeprefix("Microsoft.")
    return {
        "Name": f"AML managed network approver ({short})",
        "IsCustom": True,
        "Description": (
            f"Approve private endpoint connections on {rtype} for an Azure Machine Learning "
            "managed network (created by the amlguard fix instructions)."
        ),
        "Actions": [
            f"{rtype}/read",
            f"{rtype}/privateEndpointConnections/read",
            f"{rtype}/privateEndpointConnections/write",
            f"{rtype}/privateEndpointConnectionsApproval/action",
        ],
        "NotActions": [],
        "AssignableScopes": sorted(scopes, key=str.lower),
    }


def commands(rtype: str, scopes: list[str], principal_id: str) -> str:
    """The role definition JSON, then ``az role definition create`` and one assignment per scope."""
    definition = role_definition(rtype, scopes)
    text = json.dumps(definition, indent=2)
    lines = [
        "# custom role definition (JSON):",
        *[f"#   {line}" for line in text.splitlines()],
        "az role definition create --role-definition " + shlex.quote(json.dumps(definition)),
    ]
    for scope in sorted(scopes, key=str.lower):
        lines.append(
            f"az role assignment create --assignee-object-id {shlex.quote(principal_id)} "
            "--assignee-principal-type ServicePrincipal "
            f"--role {shlex.quote(str(definition['Name']))} --scope {shlex.quote(scope)}"
        )
    return "\n".join(lines)
