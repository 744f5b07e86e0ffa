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
    # not documented: unknown, never guessed
    assert TABLE.zones("microsoft.datafactory/factories", None, "portal", "AzureChinaCloud") == []
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
