"""Built-in role definitions amlguard knows without reading them from the scan.

A snapshot or live read often lists role assignments without the ``roledefinitions`` rows; the
rules then accept the approver role by its GUID (AMLG-106's ``accepted_roles``). Which approval
actions that role grants on each type still matters where a deny assignment denies only some of
them (:mod:`amlguard.scanner.denials`), so its published definition is kept here.

Source: the Azure built-in role "Azure AI Enterprise Network Connection Approver"
(``b556d68e-0be0-4f35-a333-ad7ee1ce17ea``) as Microsoft documents it in MicrosoftDocs/azure-docs
``articles/role-based-access-control/built-in-roles/ai-machine-learning.md`` (CC BY 4.0); the
action list is a fact about the Azure service, restated, not copied code.
"""

from __future__ import annotations

from typing import Any

APPROVER_ROLE = "b556d68e-0be0-4f35-a333-ad7ee1ce17ea"

#: role GUID (lower case) -> its ``permissions`` blocks, as a role definition row holds them
PERMISSIONS: dict[str, list[dict[str, Any]]] = {
    APPROVER_ROLE: [
        {
            "actions": [
                "Microsoft.Cache/redis/privateEndpointConnections/read",
                "Microsoft.Cache/redis/privateEndpointConnections/write",
                "Microsoft.Cache/redis/privateEndpointConnectionsApproval/action",
                "Microsoft.Cache/redis/privateLinkResources/read",
                "Microsoft.Cache/redis/read",
                "Microsoft.Cache/redisEnterprise/privateEndpointConnections/read",
                "Microsoft.Cache/redisEnterprise/privateEndpointConnections/write",
                "Microsoft.Cache/redisEnterprise/privateEndpointConnectionsApproval/action",
                "Microsoft.Cache/redisEnterprise/privateLinkResources/read",
                "Microsoft.Cache/redisEnterprise/read",
                "Microsoft.CognitiveServices/accounts/privateEndpointConnections/read",
                "Microsoft.CognitiveServices/accounts/privateEndpointConnections/write",
                "Microsoft.CognitiveServices/accounts/privateLinkResources/read",
                "Microsoft.CognitiveServices/accounts/read",
                "Microsoft.ContainerRegistry/registries/privateEndpointConnections/read",
                "Microsoft.ContainerRegistry/registries/privateEndpointConnections/write",
                "Microsoft.ContainerRegistry/registries/privateEndpointConnectionsApproval/action",
                "Microsoft.DocumentDB/databaseAccounts/privateEndpointConnections/read",
                "Microsoft.DocumentDB/databaseAccounts/privateEndpointConnections/write",
                "Microsoft.DocumentDB/databaseAccounts/privateEndpointConnectionsApproval/action",
                "Microsoft.DocumentDB/databaseAccounts/privateLinkResources/read",
                "Microsoft.DocumentDB/databaseAccounts/read",
                "Microsoft.KeyVault/vaults/privateEndpointConnections/read",
                "Microsoft.KeyVault/vaults/privateEndpointConnections/write",
                "Microsoft.KeyVault/vaults/privateEndpointConnectionsApproval/action",
                "Microsoft.KeyVault/vaults/privateLinkResources/read",
                "Microsoft.KeyVault/vaults/read",
                "Microsoft.MachineLearningServices/workspaces/privateEndpointConnections/read",
                "Microsoft.MachineLearningServices/workspaces/privateEndpointConnections/write",
                "Microsoft.MachineLearningServices/workspaces/privateEndpointConnectionsApproval/action",
                "Microsoft.MachineLearningServices/workspaces/privateLinkResources/read",
                "Microsoft.MachineLearningServices/workspaces/read",
                "Microsoft.Sql/servers/privateEndpointConnections/read",
                "Microsoft.Sql/servers/privateEndpointConnections/write",
                "Microsoft.Sql/servers/privateEndpointConnectionsApproval/action",
                "Microsoft.Sql/servers/privateLinkResources/read",
                "Microsoft.Sql/servers/read",
                "Microsoft.Storage/storageAccounts/privateEndpointConnections/read",
                "Microsoft.Storage/storageAccounts/privateEndpointConnections/write",
                "Microsoft.Storage/storageAccounts/privateLinkResources/read",
                "Microsoft.Storage/storageAccounts/read",
            ],
            "notActions": [],
        }
    ],
}


def permissions(role_guid: str) -> list[dict[str, Any]] | None:
    """The ``permissions`` of a built-in role amlguard knows (None: not one of them)."""
    return PERMISSIONS.get(role_guid.strip().lower())
