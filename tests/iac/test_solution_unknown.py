"""Templates: a private endpoint subnet unknown before deployment makes the solution VNet
undeterminable (error, exit 3), never "no solution VNet" + skipped (exit 0) over real drift.

``data/own/redteam/compliant.json`` is the compliant blueprint template the red team of
session 5 wrote for amlguard (a workspace, its associated resources, zones linked to the VNet,
endpoints in a nested deployment whose ``subnetId`` parameter places them, a jumphost NIC)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from amlguard.iac.expand import DeploymentContext
from amlguard.iac.source import TemplateSource
from amlguard.scanner.model import ScanResult
from tests.iac.helpers import DATA, RG, SUB, scan

BASE = DATA / "own" / "redteam" / "compliant.json"
PARAMS = DATA / "own" / "redteam" / "compliant.parameters.json"
CONTEXT = DeploymentContext(subscription_id=SUB, resource_group=RG, location="westeurope")
#: a value only known after deployment (another deployment's output stands the same)
UNKNOWN = "[reference(variables('identityId')).principalId]"
LINK = "Microsoft.Network/privateDnsZones/virtualNetworkLinks"


def _template() -> dict[str, Any]:
    return json.loads(BASE.read_text())


def _nested(template: dict[str, Any]) -> dict[str, Any]:
    (dep,) = [r for r in template["resources"] if r["type"] == "Microsoft.Resources/deployments"]
    return dep


def _unlinked(template: dict[str, Any]) -> dict[str, Any]:
    """The template without its VNet links: real drift (AMLG-301 fails when it can judge)."""
    template["resources"] = [r for r in template["resources"] if r["type"] != LINK]
    return template


def _run(template: dict[str, Any], tmp_path: Path) -> ScanResult:
    path = tmp_path / "main.json"
    path.write_text(json.dumps(template))
    return scan(TemplateSource([path], [PARAMS], {}, CONTEXT))


def _statuses(result: ScanResult, rule_id: str) -> Counter[str]:
    return Counter(str(f.status.value) for f in result.findings if f.rule_id == rule_id)


def test_known_subnet_reports_the_unlinked_zones(tmp_path: Path) -> None:
    result = _run(_unlinked(_template()), tmp_path)
    assert set(_statuses(result, "AMLG-301")) == {"fail"}


@pytest.mark.parametrize("rule_id", ["AMLG-233", "AMLG-301", "AMLG-302"])
def test_unknown_endpoint_subnet_is_an_error_naming_the_endpoint(
    rule_id: str, tmp_path: Path
) -> None:
    template = _unlinked(_template())
    _nested(template)["properties"]["parameters"]["subnetId"]["value"] = UNKNOWN
    result = _run(template, tmp_path)
    found = [f for f in result.findings if f.rule_id == rule_id]
    assert found and {f.status.value for f in found} == {"error"}
    message = found[0].message
    assert "no solution VNet can be determined" in message
    assert "unknown before deployment" in message
    assert "properties.subnet.id of private endpoint" in message and "pe-workspace" in message
    assert "has no inbound private endpoint" not in message


def test_unknown_subnet_object_is_an_error_too(tmp_path: Path) -> None:
    """The whole ``subnet`` object from another deployment's output."""
    template = _unlinked(_template())
    (pe,) = [
        r
        for r in _nested(template)["properties"]["template"]["resources"]
        if r["type"] == "Microsoft.Network/privateEndpoints"
    ]
    pe["properties"]["subnet"] = "[reference(parameters('subnetId'), '2023-09-01', 'Full')]"
    result = _run(template, tmp_path)
    assert set(_statuses(result, "AMLG-301")) == {"error"}
