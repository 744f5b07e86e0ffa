"""Estate builders for issue 13's rules (AMLG-110, 111, 114, 203, 204): broad outbound rules,
batch endpoints, datastores and integrated or Data Lake storage, over ``builders.blueprint``."""

from __future__ import annotations

from typing import Any

from tests.builders import Instance, Row, rid, row


def outbound_rule(inst: Instance, name: str, body: dict[str, Any]) -> None:
    """Add (or replace) outbound rule ``name`` of ``inst``'s workspace."""
    rules = inst.workspace["properties"]["managedNetwork"].setdefault("outboundRules", {})
    rules[name] = {"category": "UserDefined", "status": "Active", **body}


def fqdn_rule(inst: Instance, name: str, destination: str, category: str = "UserDefined") -> None:
    """A user FQDN rule to ``destination``."""
    outbound_rule(inst, name, {"type": "FQDN", "destination": destination, "category": category})


def service_tag_rule(inst: Instance, name: str, tag: str) -> None:
    """A user ServiceTag rule to ``tag`` over HTTPS."""
    outbound_rule(
        inst,
        name,
        {
            "type": "ServiceTag",
            "destination": {
                "serviceTag": tag,
                "protocol": "TCP",
                "portRanges": "443",
                "action": "Allow",
            },
        },
    )


def approved_only(inst: Instance) -> Instance:
    """``inst`` in AllowOnlyApprovedOutbound mode."""
    inst.workspace["properties"]["managedNetwork"]["isolationMode"] = "AllowOnlyApprovedOutbound"
    return inst


def batch_endpoint(inst: Instance, name: str = "score") -> Row:
    """A batch endpoint of ``inst``'s workspace, as Resource Graph lists it."""
    out = row(
        f"{inst.workspace['id']}/batchEndpoints/{name}",
        "microsoft.machinelearningservices/workspaces/batchendpoints",
        inst.workspace["location"],
        {"authMode": "AADToken", "provisioningState": "Succeeded"},
    )
    inst.extra.append(out)
    return out


def storage_rules(inst: Instance, groups: tuple[str, ...] = ("queue", "table")) -> None:
    """PrivateEndpoint outbound rules to the default storage for ``groups``."""
    for group in groups:
        outbound_rule(
            inst,
            f"pe-storage-{group}",
            {
                "type": "PrivateEndpoint",
                "destination": {
                    "serviceResourceId": inst.storage["id"],
                    "subresourceTarget": group,
                    "sparkEnabled": False,
                },
            },
        )


def extra_storage(
    inst: Instance,
    name: str,
    *,
    public: bool = False,
    groups: tuple[str, ...] = ("blob",),
    hns: bool = False,
) -> Row:
    """Another storage account in ``inst``'s resource group with private endpoints (and zones)
    in the solution subnet for ``groups``."""
    account = row(
        rid(inst.sub, inst.rg, "Microsoft.Storage/storageAccounts", name),
        "microsoft.storage/storageaccounts",
        inst.workspace["location"],
        {
            "publicNetworkAccess": "Enabled" if public else "Disabled",
            "isHnsEnabled": hns,
            "networkAcls": {"defaultAction": "Deny"},
        },
        kind="StorageV2",
        sku={"name": "Standard_LRS", "tier": "Standard"},
    )
    for group in groups:
        inst.add_endpoint(f"{name}-{group}", account, group)
    inst.extra.append(account)
    return account


def integrate(inst: Instance, account: Row, group: str = "blob") -> None:
    """A user PrivateEndpoint outbound rule from the workspace to ``account`` (``group``)."""
    outbound_rule(
        inst,
        f"pe-{account['name']}-{group}",
        {
            "type": "PrivateEndpoint",
            "destination": {
                "serviceResourceId": account["id"],
                "subresourceTarget": group,
                "sparkEnabled": True,
            },
        },
    )


def datastore(inst: Instance, name: str, account: Row, kind: str = "AzureBlob") -> Row:
    """A datastore of ``inst``'s workspace on ``account`` as the ARM list returns it (no
    secrets: the list API redacts them)."""
    props: dict[str, Any] = {
        "datastoreType": kind,
        "accountName": account["name"],
        "endpoint": "core.windows.net",
        "protocol": "https",
        "credentials": {"credentialsType": "None"},
        "subscriptionId": inst.sub,
        "resourceGroup": inst.rg,
    }
    props["filesystem" if kind == "AzureDataLakeGen2" else "containerName"] = "data"
    out = row(
        f"{inst.workspace['id']}/datastores/{name}",
        "microsoft.machinelearningservices/workspaces/datastores",
        inst.workspace["location"],
        props,
    )
    inst.extra.append(out)
    return out
