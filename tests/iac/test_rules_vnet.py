"""Drift per rule for the customer-VNet and suggestion rules (AMLG-112, AMLG-113, AMLG-115),
through the command line: the compliant blueprint turned into a customer-VNet workspace (tag
``amlguard-network-isolation: custom``, no managed network, a compute cluster and serverless
compute in a new subnet of the solution VNet) passes both placement rules; a drifted copy fails
exactly that rule, at its template line, with exit 1. AMLG-115 (integration_selector.mode
suggest) reports an OpenAI/AIServices account the workspace does not integrate."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from amlguard.cli import cli
from amlguard.errors import EXIT_FINDINGS, EXIT_INCOMPLETE, EXIT_OK
from tests.iac.helpers import SUB
from tests.iac.test_rules import PARAMS, TEMPLATE, Template, endpoints, resource, ws

COMPUTE_SUBNET = (
    "[resourceId('Microsoft.Network/virtualNetworks/subnets', variables('vnetName'), "
    "'snet-compute')]"
)
OTHER_SUBNET = (
    "[resourceId('Microsoft.Network/virtualNetworks/subnets', 'other-vnet', 'snet-compute')]"
)
COMPUTES = "Microsoft.MachineLearningServices/workspaces/computes"
PLACEMENT = ("AMLG-112", "AMLG-113")
Findings = dict[str, list[dict[str, Any]]]


def custom_vnet() -> Template:
    """The blueprint as a customer-VNet workspace whose computes are private in its VNet."""
    t = copy.deepcopy(TEMPLATE)
    props = ws(t)["properties"]
    ws(t)["tags"] = {"amlguard-network-isolation": "custom"}
    props["managedNetwork"] = {"isolationMode": "Disabled"}
    del props["provisionNetworkNow"]
    props["serverlessComputeSettings"] = {
        "serverlessComputeCustomSubnet": COMPUTE_SUBNET,
        "serverlessComputeNoPublicIP": True,
    }
    subnets = resource(t, "Microsoft.Network/virtualNetworks")["properties"]["subnets"]
    subnets.append({"name": "snet-compute", "properties": {"addressPrefix": "10.0.4.0/24"}})
    t["resources"].append(
        {
            "type": COMPUTES,
            "apiVersion": "2024-10-01",
            "name": "[format('{0}/cpu-compute', variables('workspaceName'))]",
            "location": "[parameters('location')]",
            "properties": {
                "computeType": "AmlCompute",
                "properties": {
                    "vmSize": "STANDARD_DS11_V2",
                    "enableNodePublicIp": False,
                    "remoteLoginPortPublicAccess": "Disabled",
                    "subnet": {"id": COMPUTE_SUBNET},
                },
            },
            "dependsOn": [
                "[resourceId('Microsoft.MachineLearningServices/workspaces', "
                "variables('workspaceName'))]"
            ],
        }
    )
    return t


def check(tmp_path: Path, template: Template, *extra: str) -> tuple[int, Findings, Path]:
    """``amlguard check --template`` on the template: exit code, findings by rule, its path."""
    path = tmp_path / "azuredeploy.json"
    path.write_text(json.dumps(template, indent=2))
    args = [
        "check",
        "--template",
        str(path),
        "--parameters",
        str(PARAMS),
        "--deployment-subscription",
        SUB,
        "--deployment-resource-group",
        "ml-secure-blueprint",
        "--deployment-location",
        "germanywestcentral",
        "-f",
        "json",
        *extra,
    ]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code in (EXIT_OK, EXIT_FINDINGS, EXIT_INCOMPLETE), result.output
    by_rule: Findings = {}
    for finding in json.loads(result.stdout)["findings"]:
        by_rule.setdefault(finding["rule_id"], []).append(finding)
    return result.exit_code, by_rule, path


def not_passing(findings: Findings) -> set[str]:
    return {
        rule
        for rule, found in findings.items()
        if any(f["status"] in ("fail", "error") for f in found)
    }


def statuses(findings: Findings, rule: str) -> list[str]:
    return [f["status"] for f in findings.get(rule, [])]


def test_customer_vnet_template_passes_the_placement_rules(tmp_path: Path) -> None:
    code, findings, _ = check(tmp_path, custom_vnet())
    assert code == EXIT_OK
    assert not_passing(findings) == set()
    assert statuses(findings, "AMLG-112") == ["pass"]
    assert statuses(findings, "AMLG-113") == ["pass"]
    # no managed network: the managed-network rules say why they do not judge it
    for rule in ("AMLG-103", "AMLG-104", "AMLG-106"):
        assert statuses(findings, rule) == ["skipped"]
        assert "Custom VNet" in findings[rule][0]["message"]


def test_the_managed_blueprint_has_no_placement_finding(tmp_path: Path) -> None:
    """Both rules select only customer-VNet workspaces: the managed blueprint gives none."""
    code, findings, _ = check(tmp_path, copy.deepcopy(TEMPLATE))
    assert code == EXIT_OK
    assert not set(PLACEMENT) & set(findings)


def _compute(t: Template) -> dict[str, Any]:
    return resource(t, COMPUTES)["properties"]["properties"]


def _serverless(t: Template) -> dict[str, Any]:
    settings: dict[str, Any] = ws(t)["properties"]["serverlessComputeSettings"]
    return settings


def _compute_public_ip(t: Template) -> None:
    _compute(t)["enableNodePublicIp"] = True


def _compute_public_ip_absent(t: Template) -> None:
    del _compute(t)["enableNodePublicIp"]


def _compute_ssh_open(t: Template) -> None:
    _compute(t)["remoteLoginPortPublicAccess"] = "NotSpecified"


def _compute_ssh_absent(t: Template) -> None:
    del _compute(t)["remoteLoginPortPublicAccess"]


def _compute_elsewhere(t: Template) -> None:
    _compute(t)["subnet"]["id"] = OTHER_SUBNET


def _serverless_public_ip(t: Template) -> None:
    _serverless(t)["serverlessComputeNoPublicIP"] = False


def _serverless_elsewhere(t: Template) -> None:
    _serverless(t)["serverlessComputeCustomSubnet"] = OTHER_SUBNET


def _serverless_absent(t: Template) -> None:
    del ws(t)["properties"]["serverlessComputeSettings"]


# (rule, mutation, text on the finding's line: the judged property, or the nearest object the
# template writes when the property is absent)
DRIFTS: dict[str, tuple[str, Callable[[Template], None], str]] = {
    "compute-public-ip": ("AMLG-112", _compute_public_ip, '"enableNodePublicIp": true'),
    "compute-public-ip-absent": ("AMLG-112", _compute_public_ip_absent, '"properties": {'),
    "compute-other-vnet": ("AMLG-112", _compute_elsewhere, "other-vnet"),
    # redteam8 item 15: a cluster's remote login port must be Disabled
    "compute-ssh-not-specified": (
        "AMLG-112",
        _compute_ssh_open,
        '"remoteLoginPortPublicAccess": "NotSpecified"',
    ),
    "compute-ssh-absent": ("AMLG-112", _compute_ssh_absent, '"properties": {'),
    "serverless-public-ip": (
        "AMLG-113",
        _serverless_public_ip,
        '"serverlessComputeNoPublicIP": false',
    ),
    "serverless-other-vnet": ("AMLG-113", _serverless_elsewhere, "other-vnet"),
    "serverless-absent": ("AMLG-113", _serverless_absent, '"properties": {'),
}


@pytest.mark.parametrize("case", sorted(DRIFTS))
def test_drifted_customer_vnet_fails_exactly_that_rule_at_its_line(
    tmp_path: Path, case: str
) -> None:
    rule, mutate, line_text = DRIFTS[case]
    template = custom_vnet()
    mutate(template)
    code, findings, path = check(tmp_path, template)
    assert code == EXIT_FINDINGS
    assert not_passing(findings) == {rule}
    assert statuses(findings, rule) == ["fail"]
    other = next(r for r in PLACEMENT if r != rule)
    assert statuses(findings, other) == ["pass"]
    location = findings[rule][0]["location"]
    assert location["file"] == str(path)
    line = path.read_text().splitlines()[location["line"] - 1]
    assert line_text in line, line


def test_a_compute_subnet_known_only_after_deployment_is_an_error(tmp_path: Path) -> None:
    """A subnet id read from another deployment's outputs cannot be judged: error, exit 3."""
    template = custom_vnet()
    _compute(template)["subnet"]["id"] = (
        "[reference(resourceId('Microsoft.Resources/deployments', 'net')).outputs.subnet.value]"
    )
    code, findings, _ = check(tmp_path, template)
    assert code == EXIT_INCOMPLETE
    assert statuses(findings, "AMLG-112") == ["error"]
    assert "unknown before deployment: " in findings["AMLG-112"][0]["message"]
    assert statuses(findings, "AMLG-113") == ["pass"]


# ---------------------------------------------------------------- AMLG-115 (suggest mode)

FOUNDRY = "[resourceId('Microsoft.CognitiveServices/accounts', 'bp-foundry')]"


def _with_foundry(integrated: bool) -> Template:
    """The managed blueprint plus an AIServices account in the workspace's resource group."""
    t = copy.deepcopy(TEMPLATE)
    t["resources"].append(
        {
            "type": "Microsoft.CognitiveServices/accounts",
            "apiVersion": "2023-05-01",
            "name": "bp-foundry",
            "location": "[parameters('location')]",
            "kind": "AIServices",
            "sku": {"name": "S0"},
            "properties": {"publicNetworkAccess": "Disabled", "customSubDomainName": "bp-foundry"},
        }
    )
    if integrated:
        rules = ws(t)["properties"]["managedNetwork"]["outboundRules"]
        rules["allowFoundry"] = {
            "type": "PrivateEndpoint",
            "destination": {
                "serviceResourceId": FOUNDRY,
                "subresourceTarget": "account",
                "sparkEnabled": True,
            },
        }
        zones = [
            "privatelink.cognitiveservices.azure.com",
            "privatelink.openai.azure.com",
            "privatelink.services.ai.azure.com",
        ]
        endpoints(t).append(
            {"name": "foundry", "target": FOUNDRY, "group": "account", "zones": zones}
        )
        declared = t["parameters"]["zoneNames"]["defaultValue"]
        declared += [zone for zone in zones if zone not in declared]
    return t


def _suggest(tmp_path: Path) -> str:
    config = tmp_path / "amlguard.yaml"
    config.write_text("version: 1\nintegration_selector:\n  mode: suggest\n", encoding="utf-8")
    return str(config)


def test_suggest_mode_reports_an_account_the_workspace_does_not_integrate(
    tmp_path: Path,
) -> None:
    template = _with_foundry(integrated=False)
    code, findings, path = check(tmp_path, template, "--config", _suggest(tmp_path))
    assert not_passing(findings) == {"AMLG-115"}
    assert statuses(findings, "AMLG-115") == ["fail"]
    finding = findings["AMLG-115"][0]
    assert finding["severity"] == "info" and "bp-foundry" in finding["message"]
    assert code == EXIT_OK  # information: below the default gate (fail-on low)
    line = path.read_text().splitlines()[finding["location"]["line"] - 1]
    assert line.strip() == "{"
    assert '"name": "bp-foundry"' in path.read_text().splitlines()[finding["location"]["line"] + 2]
    code, _, _ = check(tmp_path, template, "--config", _suggest(tmp_path), "--fail-on", "info")
    assert code == EXIT_FINDINGS


def test_suggest_mode_is_silent_on_an_integrated_account(tmp_path: Path) -> None:
    """Passing AMLG-115 means no finding at all (the rule only selects what is not integrated)."""
    template = _with_foundry(integrated=True)
    extra = ("--config", _suggest(tmp_path), "--fail-on", "info")
    code, findings, _ = check(tmp_path, template, *extra)
    assert code == EXIT_OK
    assert "AMLG-115" not in findings and not_passing(findings) == set()
    assert statuses(findings, "AMLG-104") == ["pass"]


def test_require_mode_demands_the_account_instead(tmp_path: Path) -> None:
    """The default mode makes the selector's pick an integration: AMLG-104 fails, no AMLG-115."""
    code, findings, _ = check(tmp_path, _with_foundry(integrated=False))
    assert code == EXIT_FINDINGS
    assert "AMLG-115" not in findings
    assert "AMLG-104" in not_passing(findings)
