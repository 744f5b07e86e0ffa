"""AMLG-250 (redteam7 #6): the Azure Monitor private link scope's azuremonitor endpoint must sit
in the instance's solution VNet with a DNS zone group holding every zone of its group, as
AMLG-203/233/236 require for their services; an approved endpoint anywhere is not a private
path for the workspace's telemetry."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from amlguard.scanner.model import Status
from tests.builders import Instance, blueprint
from tests.builders_integrations import hardened
from tests.scanner.harness import one, scan

OTHER_SUBNET = (
    "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-other-team"
    "/providers/Microsoft.Network/virtualNetworks/other-vnet/subnets/snet-pe"
)


def _250(inst: Instance) -> Any:
    return one(scan(inst.rows(), rule_ids=["AMLG-250"]), "AMLG-250")


def _other_vnet(inst: Instance) -> None:
    inst.endpoints["ampls"]["properties"]["subnet"]["id"] = OTHER_SUBNET


def _no_zone_group(inst: Instance) -> None:
    inst.zone_groups.pop("ampls")


def _zone_group_without(zone: str) -> Callable[[Instance], None]:
    def drop(inst: Instance) -> None:
        configs = inst.zone_groups["ampls"]["properties"]["privateDnsZoneConfigs"]
        configs[:] = [
            c for c in configs if not c["properties"]["privateDnsZoneId"].lower().endswith(zone)
        ]

    return drop


def test_the_hardened_blueprint_passes() -> None:
    finding = _250(hardened(blueprint()))
    assert finding.status is Status.PASS, finding.message


@pytest.mark.parametrize(
    "change",
    [
        _other_vnet,
        _no_zone_group,
        _zone_group_without("privatelink.monitor.azure.com"),
        _zone_group_without("privatelink.agentsvc.azure-automation.net"),
    ],
    ids=["endpoint-in-another-vnet", "no-zone-group", "no-monitor-zone", "no-agentsvc-zone"],
)
def test_an_endpoint_that_is_no_private_path_from_the_solution_vnet_fails(
    change: Callable[[Instance], None],
) -> None:
    inst = hardened(blueprint())
    change(inst)
    finding = _250(inst)
    assert finding.status is Status.FAIL
    assert inst.insights["name"] in finding.message


def test_a_second_endpoint_in_the_solution_vnet_is_enough() -> None:
    """One endpoint elsewhere does not spoil a complete one in the solution VNet."""
    inst = hardened(blueprint())
    other = {**inst.endpoints["ampls"], "id": inst.endpoints["ampls"]["id"] + "-other"}
    other["properties"] = {**other["properties"], "subnet": {"id": OTHER_SUBNET}}
    inst.extra.append(other)
    assert _250(inst).status is Status.PASS
