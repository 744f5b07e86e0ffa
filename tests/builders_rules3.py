"""Estate builders for the rules3 gaps of issue 13: feature stores whose offline store is
named only by URL (AMLG-203), AllowOnlyApprovedOutbound workspaces with or without a private
Application Insights (AMLG-250), and customer-VNet workspaces with or without serverless
compute settings (AMLG-113). Registry builders for AMLG-241 are in builders_integrations."""

from __future__ import annotations

from typing import Any

from tests.builders import Instance, blueprint, customer_vnet, rid, row
from tests.builders_integrations import add_ampls
from tests.builders_rules_a import approved_only, extra_storage

Row = dict[str, Any]
CONNECTION = "microsoft.machinelearningservices/workspaces/connections"


def feature_store(inst: Instance) -> Instance:
    """``inst`` as a feature store (kind FeatureStore) with Spark runtime settings."""
    inst.workspace["kind"] = "FeatureStore"
    inst.workspace["properties"]["featureStoreSettings"] = {
        "computeRuntime": {"sparkRuntimeVersion": "3.4"},
        "offlineStoreConnectionName": "OfflineStoreConnectionName",
        "onlineStoreConnectionName": "",
    }
    return inst


def url_connection(
    inst: Instance,
    url: str,
    name: str = "OfflineStoreConnectionName",
    category: str = "ADLSGen2",
) -> Row:
    """A workspace connection that names its storage only by ``url`` (as the portal writes
    an offline store's), without a metadata ResourceId."""
    conn = row(
        f"{inst.workspace['id']}/connections/{name}",
        CONNECTION,
        inst.workspace["location"],
        {"category": category, "authType": "ManagedIdentity", "target": url},
    )
    inst.extra.append(conn)
    return conn


def offline_store(
    inst: Instance,
    *,
    public: bool = False,
    in_scan: bool = True,
    url: str | None = None,
    account: str = "fsofflinest",
) -> Row:
    """A feature store whose offline store (an HNS storage account with a dfs endpoint in
    the solution subnet) is named by an ``abfss://`` URL in its offline store connection.
    ``in_scan=False`` leaves the account's row out; ``url`` overrides the URL."""
    feature_store(inst)
    if in_scan:
        extra_storage(inst, account, public=public, groups=("dfs",), hns=True)
    target = url or f"abfss://offline@{account.upper()}.dfs.core.windows.net/materialized"
    return url_connection(inst, target)


def aoao(private_insights: bool) -> Instance:
    """An AllowOnlyApprovedOutbound blueprint instance; ``private_insights`` puts its App
    Insights behind an AMPLS with public ingestion and query disabled."""
    inst = approved_only(blueprint())
    if private_insights:
        add_ampls(inst)
    return inst


def serverless(inst: Instance, subnet: str | None, no_public_ip: bool | None) -> Instance:
    """Set (or, with None, leave out) the workspace's serverless compute settings."""
    settings: dict[str, Any] = {}
    if subnet is not None:
        settings["serverlessComputeCustomSubnet"] = subnet
    if no_public_ip is not None:
        settings["serverlessComputeNoPublicIP"] = no_public_ip
    inst.workspace["properties"]["serverlessComputeSettings"] = settings
    return inst


def custom_vnet_private(subnet_name: str = "snet-endpoints") -> Instance:
    """A customer-VNet workspace (isolation Disabled, public access Disabled) without
    serverless compute settings; its solution VNet is the blueprint's."""
    inst = customer_vnet(blueprint())
    inst.workspace["properties"]["publicNetworkAccess"] = "Disabled"
    inst.workspace["properties"].pop("serverlessComputeSettings", None)
    return inst


def other_subnet(inst: Instance, name: str = "snet-other") -> str:
    """A subnet id in a VNet that is not the instance's solution VNet."""
    vnet = rid(inst.sub, inst.rg, "Microsoft.Network/virtualNetworks", f"{inst.prefix}-other")
    return f"{vnet}/subnets/{name}"
