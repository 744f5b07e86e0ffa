"""The api-version amlguard reads (and PATCHes) each resource type with, in one table.

Shared by the scan's fresh ARM reads (``--confirm``, re-reads after a fix) and remediation.
"""

from __future__ import annotations

# Written on every workspace/outbound-rule/provision call azure-ai-ml makes (azure-facts.md).
ML_API_VERSION = "2024-10-01-preview"
AUTHZ_API_VERSION = "2022-04-01"
DEFAULT_API_VERSION = "2021-04-01"

API_VERSIONS = {
    "microsoft.storage/storageaccounts": "2023-05-01",
    "microsoft.keyvault/vaults": "2023-07-01",
    "microsoft.containerregistry/registries": "2023-07-01",
    "microsoft.cognitiveservices/accounts": "2024-10-01",
    "microsoft.machinelearningservices/workspaces": ML_API_VERSION,
    "microsoft.machinelearningservices/workspaces/computes": ML_API_VERSION,
    "microsoft.network/privateendpoints": "2024-05-01",
    "microsoft.network/privateendpoints/privatednszonegroups": "2024-05-01",
    "microsoft.network/privatednszones": "2020-06-01",
    "microsoft.network/privatednszones/virtualnetworklinks": "2020-06-01",
    "microsoft.network/networkinterfaces": "2024-05-01",
    "microsoft.network/virtualnetworks": "2024-05-01",
    "microsoft.insights/components": "2020-02-02",
    "microsoft.insights/privatelinkscopes": "2021-07-01-preview",
    "microsoft.insights/privatelinkscopes/scopedresources": "2021-07-01-preview",
    "microsoft.search/searchservices": "2023-11-01",
    "microsoft.machinelearningservices/registries": ML_API_VERSION,
    "microsoft.managedidentity/userassignedidentities": "2023-01-31",
    "microsoft.authorization/roleassignments": AUTHZ_API_VERSION,
}


def api_version_of(rtype: str) -> str:
    """The api-version amlguard uses to read or PATCH a resource type."""
    return API_VERSIONS.get(rtype.lower(), DEFAULT_API_VERSION)
