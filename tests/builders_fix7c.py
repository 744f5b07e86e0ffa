"""Estates for the aggregate-finding tests (redteam7 item 1), made from the example estates."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.conftest import EXAMPLES

Rows = list[dict[str, Any]]
RG = "/subscriptions/8f1c2a6e-3b4d-4e5f-9a0b-1c2d3e4f5a6b/resourceGroups/ml-secure-blueprint"
EVERYONE = "00000000-0000-0000-0000-000000000000"


def rows_of(name: str) -> Rows:
    """The rows of ``examples/estates/<name>.json`` (a fresh copy)."""
    doc = json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))
    return list(doc["data"])


def write(rows: Rows, path: Path) -> Path:
    """``rows`` as a snapshot file at ``path``."""
    path.write_text(json.dumps({"count": len(rows), "data": rows}), encoding="utf-8")
    return path


def _workspace(rows: Rows) -> dict[str, Any]:
    (ws,) = [r for r in rows if r["type"] == "microsoft.machinelearningservices/workspaces"]
    return ws


def fail_outbound_rule(rows: Rows, name: str = "allowOpenAi") -> None:
    """Set the status of the workspace's outbound rule ``name`` to Failed."""
    _workspace(rows)["properties"]["managedNetwork"]["outboundRules"][name]["status"] = "Failed"


def add_private_openai(rows: Rows, suffix: str = "2") -> str:
    """A second OpenAI account in the workspace's resource group, private, with its own
    approved endpoint and zone group, and no outbound rule: returns its id."""
    tail = "/providers/Microsoft.CognitiveServices/accounts/blueprint-dev-oai"
    account = next(r for r in rows if r["id"].endswith(tail))
    pe_id = next(
        r["id"]
        for r in rows
        if r["type"] == "microsoft.network/privateendpoints" and "openai" in r["id"].lower()
    )
    pe_name = pe_id.rsplit("/", 1)[1]
    family = [r for r in rows if r["id"] == account["id"] or r["id"].startswith(pe_id)]
    for row in family:
        text = json.dumps(row).replace(pe_name, pe_name + suffix)
        text = text.replace(account["id"], account["id"] + suffix)
        text = text.replace('"blueprint-dev-oai"', f'"blueprint-dev-oai{suffix}"')
        rows.append(json.loads(text))
    return str(account["id"]) + suffix


def deny_approval(rows: Rows, scope: str = RG) -> None:
    """A deny assignment at ``scope`` denying everyone the private endpoint approval actions."""
    rows.append(
        {
            "id": f"{scope}/providers/Microsoft.Authorization/denyAssignments/1111-fix7c",
            "name": "1111-fix7c",
            "type": "microsoft.authorization/denyassignments",
            "resourceGroup": "ml-secure-blueprint",
            "subscriptionId": "8f1c2a6e-3b4d-4e5f-9a0b-1c2d3e4f5a6b",
            "properties": {
                "denyAssignmentName": "block-pe-approval",
                "scope": scope,
                "permissions": [
                    {
                        "actions": [
                            "*/privateEndpointConnectionsApproval/action",
                            "*/privateEndpointConnections/write",
                        ],
                        "notActions": [],
                        "dataActions": [],
                        "notDataActions": [],
                    }
                ],
                "principals": [{"id": EVERYONE, "type": "SystemDefined"}],
                "excludePrincipals": [],
                "doNotApplyToChildScopes": False,
                "isSystemProtected": False,
            },
        }
    )
