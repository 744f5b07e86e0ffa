"""The private-link table (real-estates 4.5): Foundry zones, AMPLS, Data Factory, registries'
connection path, and "zone unknown for this cloud" instead of a guess."""

from __future__ import annotations

import pytest

from amlguard.scanner.model import Status
from amlguard.scanner.privatelink import default_table
from tests.builders import blueprint, rid, row
from tests.scanner.harness import not_passing, of_rule, scan

TABLE = default_table()


def test_ampls_and_data_factory_groups() -> None:
    zones = TABLE.zones("microsoft.insights/privatelinkscopes", None, "azuremonitor", "AzureCloud")
    assert len(zones) == 5 and "privatelink.monitor.azure.com" in zones
    assert TABLE.zones("Microsoft.DataFactory/factories", None, "portal", "AzureCloud") == [
        "privatelink.adf.azure.com"
    ]
    gov = TABLE.zones("microsoft.datafactory/factories", None, "dataFactory", "AzureUSGovernment")
    assert gov == ["privatelink.datafactory.azure.us"]
    assert TABLE.zones("microsoft.datafactory/factories", None, "portal", "AzureChinaCloud") == [
        "privatelink.adf.azure.cn"
    ]
    # not documented (the page has no China Azure Monitor row): unknown, never guessed
    assert (
        TABLE.zones("microsoft.insights/privatelinkscopes", None, "azuremonitor", "AzureChinaCloud")
        == []
    )
    assert TABLE.group_ids("microsoft.insights/privatelinkscopes") == ["azuremonitor"]


@pytest.mark.parametrize(
    ("rtype", "keys"),
    [
        (
            "Microsoft.MachineLearningServices/registries",
            ("registryPrivateEndpointConnections", "registryPrivateLinkServiceConnectionState"),
        ),
        (
            "microsoft.storage/storageaccounts",
            ("privateEndpointConnections", "privateLinkServiceConnectionState"),
        ),
        (
            "microsoft.unknown/things",
            ("privateEndpointConnections", "privateLinkServiceConnectionState"),
        ),
    ],
)
def test_connection_paths_per_type(rtype: str, keys: tuple[str, str]) -> None:
    assert TABLE.connection_keys(rtype) == keys


def _with_registry(status: str) -> tuple:
    inst = blueprint()
    reg = rid(inst.sub, inst.rg, "Microsoft.MachineLearningServices/registries", "blueprint-reg")
    inst.extra.append(
        row(
            reg,
            "microsoft.machinelearningservices/registries",
            properties={
                "publicNetworkAccess": "Disabled",
                "registryPrivateEndpointConnections": [
                    {
                        "id": f"{reg}/privateEndpointConnections/managed-reg",
                        "properties": {
                            "privateEndpoint": {"id": f"{reg}-managed-pe"},
                            "registryPrivateLinkServiceConnectionState": {"status": status},
                        },
                    }
                ],
            },
        )
    )
    inst.workspace["properties"]["managedNetwork"]["outboundRules"]["allowRegistry"] = {
        "type": "PrivateEndpoint",
        "category": "UserDefined",
        "status": "Active",
        "destination": {
            "serviceResourceId": reg,
            "subresourceTarget": "amlregistry",
            "sparkEnabled": True,
        },
    }
    return inst, reg


def test_240_reads_registries_own_connection_list() -> None:
    # The registry has no endpoint of its own in the solution VNet: AMLG-241 fails either way.
    inst, reg = _with_registry("Approved")
    assert not_passing(scan(inst.rows())) == {"AMLG-241": {"fail"}}
    inst, reg = _with_registry("Pending")
    findings = scan(inst.rows())
    assert not_passing(findings) == {"AMLG-240": {"fail"}, "AMLG-241": {"fail"}}
    (f,) = [f for f in of_rule(findings, "AMLG-240") if f.status is Status.FAIL]
    assert f.resource_id == reg and "managed-reg" in f.message


@pytest.mark.parametrize(
    ("rtype", "kind", "group", "cloud", "zones"),
    [
        # values Microsoft's private-endpoint DNS page lists for the sovereign clouds
        ("microsoft.cognitiveservices/accounts", "AIServices", "account", "AzureUSGovernment",
         ["privatelink.cognitiveservices.azure.us"]),
        ("microsoft.search/searchservices", None, "searchService", "AzureUSGovernment",
         ["privatelink.search.azure.us"]),
        ("microsoft.datafactory/factories", None, "dataFactory", "AzureChinaCloud",
         ["privatelink.datafactory.azure.cn"]),
        ("microsoft.keyvault/vaults", None, "vault", "AzureChinaCloud",
         ["privatelink.vaultcore.azure.cn"]),
        ("microsoft.machinelearningservices/workspaces", None, "amlworkspace", "AzureChinaCloud",
         ["privatelink.api.ml.azure.cn", "privatelink.notebooks.chinacloudapi.cn"]),
        # not on the page: unknown
        ("microsoft.cognitiveservices/accounts", "AIServices", "account", "AzureChinaCloud", []),
        ("microsoft.insights/privatelinkscopes", None, "azuremonitor", "AzureChinaCloud", []),
        ("microsoft.cognitiveservices/accounts", "AIServices", "account", "AzureGermanCloud", []),
    ],
)  # fmt: skip
def test_sovereign_zone_names_are_the_documented_ones(
    rtype: str, kind: str | None, group: str, cloud: str, zones: list[str]
) -> None:
    assert TABLE.zones(rtype, kind, group, cloud) == zones


def test_government_monitor_scope_has_six_zones() -> None:
    zones = TABLE.zones("microsoft.insights/privatelinkscopes", None, "azuremonitor",
                        "AzureUSGovernment")  # fmt: skip
    assert len(zones) == 6 and "privatelink.adx.monitor.azure.us" in zones
    assert all(z.endswith((".us", ".usgovcloudapi.net")) for z in zones)
