"""The rule pack on templates: a compliant blueprint passes; a drifted copy per rule fails that
rule, at the template line that causes it."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from amlguard.iac.expand import DeploymentContext
from amlguard.iac.source import TemplateSource
from amlguard.scanner.model import ScanResult
from tests.iac.helpers import DATA, RG, SUB, scan

OWN = DATA / "own" / "blueprint"
TEMPLATE = json.loads((OWN / "azuredeploy.json").read_text())
PARAMS = OWN / "azuredeploy.parameters.json"
CONTEXT = DeploymentContext(subscription_id=SUB, resource_group=RG, location="germanywestcentral")

Template = dict[str, Any]


def run(
    tmp_path: Path, template: Template, values: dict[str, str] | None = None
) -> tuple[ScanResult, TemplateSource, Path]:
    path = tmp_path / "azuredeploy.json"
    path.write_text(json.dumps(template, indent=2))
    source = TemplateSource([path], [PARAMS], values or {}, CONTEXT)
    return scan(source), source, path


def failing(result: ScanResult) -> set[str]:
    return {f.rule_id for f in result.findings if f.status.value in ("fail", "error")}


def resource(t: Template, rtype: str) -> dict[str, Any]:
    return next(r for r in t["resources"] if r["type"].lower() == rtype.lower())


def endpoints(t: Template) -> list[dict[str, Any]]:
    module = resource(t, "Microsoft.Resources/deployments")
    return module["properties"]["parameters"]["endpoints"]["value"]


def drop_endpoint(name: str) -> Callable[[Template], None]:
    def mutate(t: Template) -> None:
        eps = endpoints(t)
        eps[:] = [e for e in eps if e["name"] != name]

    return mutate


def set_prop(rtype: str, key: str, value: Any) -> Callable[[Template], None]:
    def mutate(t: Template) -> None:
        resource(t, rtype)["properties"][key] = value

    return mutate


def ws(t: Template) -> dict[str, Any]:
    return resource(t, "Microsoft.MachineLearningServices/workspaces")


def _identity_system(t: Template) -> None:
    ws(t)["identity"] = {"type": "SystemAssigned"}
    del ws(t)["properties"]["primaryUserAssignedIdentity"]


def _manual_openai(t: Template) -> None:
    """The OpenAI endpoint moves out of the module and asks for manual approval."""
    drop_endpoint("openai")(t)
    target = "[resourceId('Microsoft.CognitiveServices/accounts', variables('openAiName'))]"
    t["resources"].append(
        {
            "type": "Microsoft.Network/privateEndpoints",
            "apiVersion": "2023-09-01",
            "name": "[format('{0}-pe-openai', parameters('prefix'))]",
            "location": "[parameters('location')]",
            "properties": {
                "subnet": {"id": "[variables('endpointSubnetId')]"},
                "manualPrivateLinkServiceConnections": [
                    {
                        "name": "openai",
                        "properties": {"privateLinkServiceId": target, "groupIds": ["account"]},
                    }
                ],
            },
        }
    )


def _public_ip_on_jumphost(t: Template) -> None:
    nic = resource(t, "Microsoft.Network/networkInterfaces")
    nic["properties"]["ipConfigurations"][0]["properties"]["publicIPAddress"] = {
        "id": "[resourceId('Microsoft.Network/publicIPAddresses', 'jump-pip')]"
    }


def _other_role(t: Template) -> None:
    t["variables"]["approverRole"] = "acdd72a7-3385-48ef-bd42-f606fba81ae7"  # Reader


def _link_other_vnet(t: Template) -> None:
    link = resource(t, "Microsoft.Network/privateDnsZones/virtualNetworkLinks")
    link["properties"]["virtualNetwork"]["id"] = (
        "[resourceId('Microsoft.Network/virtualNetworks', 'other-vnet')]"
    )


def _no_notebooks_zone(t: Template) -> None:
    endpoints(t)[0]["zones"] = ["privatelink.api.azureml.ms"]


# rule -> (mutation, the rules expected to fail, the template text on the finding's line)
DRIFTS: dict[str, tuple[Callable[[Template], None], set[str], str | None]] = {
    "AMLG-101": (lambda t: None, {"AMLG-101"}, "parameters('workspacePublicNetworkAccess')"),
    "AMLG-102": (
        lambda t: ws(t)["properties"]["managedNetwork"].update(isolationMode="Disabled"),
        {"AMLG-102"},
        '"isolationMode": "Disabled"',
    ),
    "AMLG-104": (
        lambda t: ws(t)["properties"]["managedNetwork"].pop("outboundRules"),
        {"AMLG-104"},
        None,
    ),
    "AMLG-105": (_identity_system, {"AMLG-105", "AMLG-106"}, '"type": "SystemAssigned"'),
    "AMLG-106": (_other_role, {"AMLG-106"}, None),
    "AMLG-107": (lambda t: ws(t)["properties"].pop("imageBuildCompute"), {"AMLG-107"}, None),
    "AMLG-108": (lambda t: ws(t)["properties"].pop("applicationInsights"), {"AMLG-108"}, None),
    "AMLG-109": (_no_notebooks_zone, {"AMLG-109"}, None),
    "AMLG-201": (
        set_prop("Microsoft.Storage/storageAccounts", "publicNetworkAccess", "Enabled"),
        {"AMLG-201"},
        '"publicNetworkAccess": "Enabled"',
    ),
    "AMLG-202": (drop_endpoint("storage-file"), {"AMLG-202"}, None),
    "AMLG-211": (
        set_prop("Microsoft.KeyVault/vaults", "publicNetworkAccess", "Enabled"),
        {"AMLG-211"},
        '"publicNetworkAccess": "Enabled"',
    ),
    "AMLG-212": (drop_endpoint("keyvault"), {"AMLG-212"}, None),
    "AMLG-221": (
        lambda t: resource(t, "Microsoft.ContainerRegistry/registries").update(
            sku={"name": "Standard"}
        ),
        {"AMLG-221"},
        '"name": "Standard"',
    ),
    "AMLG-222": (
        set_prop("Microsoft.ContainerRegistry/registries", "publicNetworkAccess", "Enabled"),
        {"AMLG-222"},
        '"publicNetworkAccess": "Enabled"',
    ),
    "AMLG-223": (drop_endpoint("registry"), {"AMLG-223"}, None),
    "AMLG-231": (
        set_prop("Microsoft.CognitiveServices/accounts", "publicNetworkAccess", "Enabled"),
        {"AMLG-231"},
        '"publicNetworkAccess": "Enabled"',
    ),
    "AMLG-232": (
        lambda t: resource(t, "Microsoft.CognitiveServices/accounts")["properties"].pop(
            "customSubDomainName"
        ),
        {"AMLG-232"},
        None,
    ),
    "AMLG-233": (drop_endpoint("openai"), {"AMLG-233"}, None),
    "AMLG-240": (_manual_openai, {"AMLG-240", "AMLG-233"}, None),  # pending: not usable either
    "AMLG-301": (_link_other_vnet, {"AMLG-301"}, None),
    "AMLG-302": (_public_ip_on_jumphost, {"AMLG-302"}, None),
}


def test_compliant_template_passes_every_rule(tmp_path: Path) -> None:
    result, _, _ = run(tmp_path, TEMPLATE)
    assert failing(result) == set()
    assert {f.rule_id for f in result.findings if f.status.value == "pass"} >= {
        "AMLG-101",
        "AMLG-104",
        "AMLG-106",
        "AMLG-109",
        "AMLG-202",
        "AMLG-233",
        "AMLG-301",
    }


@pytest.mark.parametrize("rule_id", sorted(DRIFTS))
def test_drifted_copy_fails_that_rule_at_its_line(tmp_path: Path, rule_id: str) -> None:
    mutate, expected, line_text = DRIFTS[rule_id]
    template = copy.deepcopy(TEMPLATE)
    mutate(template)
    values = {"workspacePublicNetworkAccess": "Enabled"} if rule_id == "AMLG-101" else {}
    result, source, path = run(tmp_path, template, values)
    assert failing(result) == expected
    finding = next(f for f in result.findings if f.rule_id == rule_id and f.status.value == "fail")
    loc = source.locate(finding.resource_id, finding.path)
    assert loc is not None and loc.file == str(path)
    if line_text:
        assert line_text in path.read_text().splitlines()[loc.line - 1]


def test_unknown_value_makes_the_finding_an_error(tmp_path: Path) -> None:
    template = copy.deepcopy(TEMPLATE)
    resource(template, "Microsoft.Storage/storageAccounts")["properties"]["publicNetworkAccess"] = (
        "[reference(resourceId('Microsoft.Resources/deployments', 'elsewhere')).outputs.pna.value]"
    )
    result, _, _ = run(tmp_path, template)
    finding = next(f for f in result.findings if f.rule_id == "AMLG-201")
    assert finding.status.value == "error"
    assert "unknown before deployment: " in finding.message
    assert "elsewhere" in finding.message and "azuredeploy.json:" in finding.message


def test_unknown_in_one_branch_does_not_hide_a_decided_failure(tmp_path: Path) -> None:
    # AMLG-104's allOf has a definite false (no rule for the account) besides nothing unknown;
    # an unknown serviceResourceId in the only rule still leaves the count undecidable: error.
    template = copy.deepcopy(TEMPLATE)
    rules = ws(template)["properties"]["managedNetwork"]["outboundRules"]
    rules["allowOpenAi"]["destination"]["serviceResourceId"] = "[reference('x-elsewhere').id]"
    result, _, _ = run(tmp_path, template)
    finding = next(f for f in result.findings if f.rule_id == "AMLG-104")
    assert finding.status.value == "error" and "unknown before deployment" in finding.message
