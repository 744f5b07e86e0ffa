"""Builders for the integrations of issue 13 (part B): AI Search services, AML registries with
their regional storage and container registry, Azure Monitor private link scopes, and Data Lake
(hierarchical namespace) storage.

Each builder adds to a :class:`tests.builders.Instance` what a compliant deployment has (the
resource, the user-defined PrivateEndpoint outbound rule that integrates it, its private
endpoint in the solution subnet with zone group, zone and VNet link); keyword knobs drift one
piece. Rows go to ``inst.extra``, so ``inst.rows()`` returns them.
"""

from __future__ import annotations

from typing import Any

from tests.builders import ZONES, Instance, rid, row

Row = dict[str, Any]

SEARCH = "microsoft.search/searchservices"
AML_REGISTRY = "microsoft.machinelearningservices/registries"
STORAGE = "microsoft.storage/storageaccounts"
ACR = "microsoft.containerregistry/registries"
AMPLS = "microsoft.insights/privatelinkscopes"
SCOPED = "microsoft.insights/privatelinkscopes/scopedresources"

# The zones of the new group ids (policies/private_link.yaml), for Instance.add_endpoint.
ZONES.setdefault("searchService", ["privatelink.search.windows.net"])
ZONES.setdefault("amlregistry", ["privatelink.api.azureml.ms"])
ZONES.setdefault(
    "azuremonitor",
    [
        "privatelink.monitor.azure.com",
        "privatelink.oms.opinsights.azure.com",
        "privatelink.ods.opinsights.azure.com",
        "privatelink.agentsvc.azure-automation.net",
        "privatelink.blob.core.windows.net",
    ],
)


def outbound_rule(inst: Instance, name: str, target: Row, group: str) -> None:
    """A user-defined PrivateEndpoint outbound rule from the workspace to ``target``."""
    rules = inst.workspace["properties"]["managedNetwork"]["outboundRules"]
    rules[name] = {
        "type": "PrivateEndpoint",
        "category": "UserDefined",
        "status": "Active",
        "destination": {
            "serviceResourceId": target["id"],
            "subresourceTarget": group,
            "sparkEnabled": True,
            "sparkStatus": "Active",
        },
    }


def add_search(
    inst: Instance,
    *,
    public: bool = False,
    sku: str = "standard",
    endpoint: bool = True,
    local_auth: bool = False,
    integrate: str = "rule",
    rg: str | None = None,
) -> Row:
    """An AI Search service the workspace integrates (``integrate``: ``rule`` = a user-defined
    outbound rule, ``connection`` = a workspace connection naming it plus the Dependency rule
    the service makes for it, ``none`` = only present in the resource group, which the default
    selector ignores)."""
    search = row(
        rid(inst.sub, rg or inst.rg, "Microsoft.Search/searchServices", f"{inst.prefix}-srch"),
        SEARCH,
        inst.workspace["location"],
        {
            "publicNetworkAccess": "enabled" if public else "disabled",
            "disableLocalAuth": not local_auth,
            "replicaCount": 1,
            "partitionCount": 1,
            "hostingMode": "default",
            "provisioningState": "succeeded",
            "networkRuleSet": {"ipRules": []},
        },
        sku={"name": sku},
    )
    inst.extra.append(search)
    if integrate == "rule":
        outbound_rule(inst, "allowSearch", search, "searchService")
    elif integrate == "connection":
        # the service makes a Dependency PrivateEndpoint rule for a connection's target
        outbound_rule(inst, "search-dependency", search, "searchService")
        rules = inst.workspace["properties"]["managedNetwork"]["outboundRules"]
        rules["search-dependency"]["category"] = "Dependency"
        inst.extra.append(
            row(
                f"{inst.workspace['id']}/connections/search",
                "microsoft.machinelearningservices/workspaces/connections",
                inst.workspace["location"],
                {
                    "category": "CognitiveSearch",
                    "authType": "AAD",
                    "target": f"https://{inst.prefix}-srch.search.windows.net",
                    "metadata": {"ResourceId": search["id"], "ApiType": "Azure"},
                },
            )
        )
    if endpoint:
        inst.add_endpoint("search", search, "searchService")
    return search


def _registry_connections(target: Row) -> None:
    """Move the connections ``add_endpoint`` made to where registries keep them."""
    props = target["properties"]
    for conn in props.pop("privateEndpointConnections", []):
        cprops = conn["properties"]
        cprops["registryPrivateLinkServiceConnectionState"] = cprops.pop(
            "privateLinkServiceConnectionState"
        )
        cprops["groupIds"] = ["amlregistry"]
        props.setdefault("registryPrivateEndpointConnections", []).append(conn)


def add_registry(
    inst: Instance,
    *,
    public: bool = False,
    endpoint: bool = True,
    managed_public: bool = False,
    managed_endpoints: bool = True,
    managed_in_scan: bool = True,
    connection_status: str | None = None,
) -> tuple[Row, list[Row]]:
    """An AML registry the workspace integrates (a user-defined outbound rule), with a
    system-created storage account and container registry in its managed resource group;
    returns (registry, [storage, acr]). ``managed_in_scan=False`` leaves those two out of the
    rows (their resource group is outside the scan)."""
    name = f"{inst.prefix}-reg"
    managed_rg = f"azureml-rg-{name}"
    storage = row(
        rid(inst.sub, managed_rg, "Microsoft.Storage/storageAccounts", f"{inst.prefix}regst"[:24]),
        STORAGE,
        inst.workspace["location"],
        {
            "publicNetworkAccess": "Enabled" if managed_public else "Disabled",
            "allowBlobPublicAccess": False,
        },
        kind="StorageV2",
        sku={"name": "Standard_LRS"},
    )
    acr = row(
        rid(inst.sub, managed_rg, "Microsoft.ContainerRegistry/registries", f"{inst.prefix}regacr"),
        ACR,
        inst.workspace["location"],
        {"publicNetworkAccess": "Enabled" if managed_public else "Disabled"},
        sku={"name": "Premium", "tier": "Premium"},
    )
    registry = row(
        rid(inst.sub, inst.rg, "Microsoft.MachineLearningServices/registries", name),
        AML_REGISTRY,
        inst.workspace["location"],
        {
            "publicNetworkAccess": "Enabled" if public else "Disabled",
            "discoveryUrl": f"https://{inst.workspace['location']}.api.azureml.ms/registrymanagement/v1.0/registries/{name}/discovery",
            "managedResourceGroup": {
                "resourceId": f"/subscriptions/{inst.sub}/resourceGroups/{managed_rg}"
            },
            "regionDetails": [
                {
                    "location": inst.workspace["location"],
                    "storageAccountDetails": [
                        {
                            "systemCreatedStorageAccount": {
                                "storageAccountName": storage["name"],
                                "storageAccountType": "Standard_LRS",
                                "storageAccountHnsEnabled": False,
                                "armResourceId": {"resourceId": storage["id"]},
                                "allowBlobPublicAccess": False,
                            }
                        }
                    ],
                    "acrDetails": [
                        {
                            "systemCreatedAcrAccount": {
                                "acrAccountName": acr["name"],
                                "acrAccountSku": "Premium",
                                "armResourceId": {"resourceId": acr["id"]},
                            }
                        }
                    ],
                }
            ],
        },
        kind="",
        sku={"name": "P3", "tier": "Basic"},
    )
    inst.extra.append(registry)
    outbound_rule(inst, "allowRegistry", registry, "amlregistry")
    if endpoint:
        inst.add_endpoint("amlregistry", registry, "amlregistry")
        _registry_connections(registry)
    if connection_status:
        registry["properties"].setdefault("registryPrivateEndpointConnections", []).append(
            {
                "id": f"{registry['id']}/privateEndpointConnections/managed-pending",
                "properties": {
                    "privateEndpoint": {
                        "id": rid(
                            inst.sub, "azureml-managed", "Microsoft.Network/privateEndpoints", "mpe"
                        )
                    },
                    "registryPrivateLinkServiceConnectionState": {"status": connection_status},
                    "groupIds": ["amlregistry"],
                },
            }
        )
    if managed_in_scan:
        inst.extra += [storage, acr]
        if managed_endpoints:
            inst.add_endpoint("regstorage", storage, "blob")
            inst.add_endpoint("regacr", acr, "registry")
    return registry, [storage, acr]


def hns_storage(inst: Instance, dfs_endpoint: bool = True) -> Row:
    """Make the workspace storage a Data Lake account (hierarchical namespace), with its dfs
    private endpoint unless ``dfs_endpoint`` is false."""
    inst.storage["properties"]["isHnsEnabled"] = True
    if dfs_endpoint:
        inst.add_endpoint("storage-dfs", inst.storage, "dfs")
    return inst.storage


def add_ampls(inst: Instance, *, endpoint: bool = True, private: bool = True) -> Row:
    """An Azure Monitor private link scope scoping the workspace's Application Insights, with
    an approved azuremonitor private endpoint in the solution subnet; ``private`` disables the
    component's public ingestion and query."""
    scope = row(
        rid(inst.sub, inst.rg, "microsoft.insights/privateLinkScopes", f"{inst.prefix}-ampls"),
        AMPLS,
        "global",
        {
            "accessModeSettings": {
                "ingestionAccessMode": "PrivateOnly",
                "queryAccessMode": "PrivateOnly",
            },
            "provisioningState": "Succeeded",
        },
    )
    scoped = row(
        f"{scope['id']}/scopedResources/{inst.insights['name']}",
        SCOPED,
        "global",
        {"linkedResourceId": inst.insights["id"], "provisioningState": "Succeeded"},
    )
    inst.extra += [scope, scoped]
    if endpoint:
        inst.add_endpoint("ampls", scope, "azuremonitor")
    if private:
        inst.insights["properties"]["publicNetworkAccessForIngestion"] = "Disabled"
        inst.insights["properties"]["publicNetworkAccessForQuery"] = "Disabled"
    return scope


def hardened(inst: Instance) -> Instance:
    """Pass the opt-in hardening rules too: key vault RBAC, no ACR admin user, Entra-only AI
    account with restricted outbound access, App Insights behind an AMPLS."""
    inst.keyvault["properties"]["enableRbacAuthorization"] = True
    inst.registry["properties"]["adminUserEnabled"] = False
    oai = inst.openai["properties"]
    oai["disableLocalAuth"] = True
    oai["restrictOutboundNetworkAccess"] = True
    oai["allowedFqdnList"] = [f"{inst.storage['name']}.blob.core.windows.net"]
    add_ampls(inst)
    return inst
