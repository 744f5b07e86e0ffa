"""Drift per rule, continued: the blueprint template grown with compliant integrations (a
private AI Search, an AML registry, a second storage account, a Data Lake default storage, a
batch endpoint) and the hardening settings (AMLG-213, 224, 237, 238, 239), so every rule that can be judged from a template
has a compliant case and a drifted copy that fails exactly that rule, at its line."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from amlguard.scanner.model import ScanResult
from amlguard.scanner.rules import load_pack
from amlguard.scanner.scan import ScanOptions, run_scan, select_rules
from tests.iac import test_rules as base
from tests.iac.test_rules import TEMPLATE, Template, endpoints, resource, ws

_RID = "[resourceId('{0}', '{1}')]"
SEARCH = _RID.format("Microsoft.Search/searchServices", "bp-srch")
AMLREG = _RID.format("Microsoft.MachineLearningServices/registries", "bpreg")
DATA = _RID.format("Microsoft.Storage/storageAccounts", "bpdata")
STORAGE = "[resourceId('Microsoft.Storage/storageAccounts', variables('storageName'))]"
AMPLS = _RID.format("Microsoft.Insights/privateLinkScopes", "bp-ampls")
MONITOR_ZONES = (
    "privatelink.monitor.azure.com",
    "privatelink.oms.opinsights.azure.com",
    "privatelink.ods.opinsights.azure.com",
    "privatelink.agentsvc.azure-automation.net",
    "privatelink.blob.core.windows.net",
)
HARDENING = ["AMLG-114", "AMLG-213", "AMLG-224", "AMLG-237", "AMLG-238", "AMLG-239", "AMLG-250"]
_INSIGHTS = "[resourceId('Microsoft.Insights/components', variables('insightsName'))]"
_WORKSPACE = (
    "[resourceId('Microsoft.MachineLearningServices/workspaces', variables('workspaceName'))]"
)


def _outbound(t: Template, name: str, target: str, group: str) -> None:
    rules = ws(t)["properties"]["managedNetwork"]["outboundRules"]
    rules[name] = {
        "type": "PrivateEndpoint",
        "destination": {
            "serviceResourceId": target,
            "subresourceTarget": group,
            "sparkEnabled": True,
        },
    }


def _endpoint(t: Template, name: str, target: str, group: str, *zone: str) -> None:
    endpoints(t).append({"name": name, "target": target, "group": group, "zones": list(zone)})
    zones = t["parameters"]["zoneNames"]["defaultValue"]
    zones += [z for z in zone if z not in zones]


def _res(rtype: str, name: str | None = None) -> Callable[[Template], dict[str, Any]]:
    def pick(t: Template) -> dict[str, Any]:
        return next(
            r
            for r in t["resources"]
            if r["type"].lower() == rtype.lower() and (name is None or r["name"] == name)
        )

    return pick


def _set(pick: Callable[[Template], dict[str, Any]], **props: Any) -> Callable[[Template], None]:
    def mutate(t: Template) -> None:
        pick(t)["properties"].update(props)

    return mutate


def extended() -> Template:
    """The compliant blueprint with every integration the rules judge."""
    t = copy.deepcopy(TEMPLATE)
    location = "[parameters('location')]"
    t["resources"] += [
        {
            "type": "Microsoft.Search/searchServices",
            "apiVersion": "2023-11-01",
            "name": "bp-srch",
            "location": location,
            "sku": {"name": "standard"},
            "properties": {"publicNetworkAccess": "disabled", "disableLocalAuth": True},
        },
        {
            "type": "Microsoft.MachineLearningServices/registries",
            "apiVersion": "2024-10-01",
            "name": "bpreg",
            "location": location,
            "properties": {"publicNetworkAccess": "Disabled"},
        },
        {
            "type": "Microsoft.Storage/storageAccounts",
            "apiVersion": "2023-05-01",
            "name": "bpdata",
            "location": location,
            "kind": "StorageV2",
            "sku": {"name": "Standard_LRS"},
            "properties": {"publicNetworkAccess": "Disabled", "isHnsEnabled": True},
        },
        {
            "type": "Microsoft.MachineLearningServices/workspaces/batchEndpoints",
            "apiVersion": "2024-10-01",
            "name": "[format('{0}/score', variables('workspaceName'))]",
            "location": location,
            "properties": {"authMode": "AADToken"},
            "dependsOn": [
                "[resourceId('Microsoft.MachineLearningServices/workspaces', variables('workspaceName'))]"
            ],
        },
    ]
    t["resources"] += [
        {
            "type": "Microsoft.Insights/privateLinkScopes",
            "apiVersion": "2021-07-01-preview",
            "name": "bp-ampls",
            "location": "global",
            "properties": {
                "accessModeSettings": {
                    "ingestionAccessMode": "PrivateOnly",
                    "queryAccessMode": "PrivateOnly",
                }
            },
        },
        {
            "type": "Microsoft.Insights/privateLinkScopes/scopedResources",
            "apiVersion": "2021-07-01-preview",
            "name": "bp-ampls/appi",
            "properties": {"linkedResourceId": _INSIGHTS},
            "dependsOn": [AMPLS],
        },
        {
            "type": "Microsoft.MachineLearningServices/workspaces/computes",
            "apiVersion": "2024-10-01",
            "name": "[format('{0}/cpu-compute', variables('workspaceName'))]",
            "location": location,
            "properties": {
                "computeType": "AmlCompute",
                "disableLocalAuth": True,
                "properties": {"vmSize": "STANDARD_DS11_V2", "enableNodePublicIp": False},
            },
            "dependsOn": [_WORKSPACE],
        },
    ]
    _set(
        _res("Microsoft.Insights/components"),
        publicNetworkAccessForIngestion="Disabled",
        publicNetworkAccessForQuery="Disabled",
    )(t)
    # an AMPLS endpoint's zone group holds every zone of its group (AMLG-250, redteam7 #6)
    _endpoint(t, "ampls", AMPLS, "azuremonitor", *MONITOR_ZONES)
    _outbound(t, "allowSearch", SEARCH, "searchService")
    _outbound(t, "allowRegistry", AMLREG, "amlregistry")
    _outbound(t, "allowData", DATA, "blob")
    _outbound(t, "storageQueue", STORAGE, "queue")
    _outbound(t, "storageTable", STORAGE, "table")
    _endpoint(t, "search", SEARCH, "searchService", "privatelink.search.windows.net")
    _endpoint(t, "amlreg", AMLREG, "amlregistry", "privatelink.api.azureml.ms")
    _endpoint(t, "data-blob", DATA, "blob", "privatelink.blob.core.windows.net")
    _endpoint(t, "data-dfs", DATA, "dfs", "privatelink.dfs.core.windows.net")
    _endpoint(t, "storage-dfs", STORAGE, "dfs", "privatelink.dfs.core.windows.net")
    resource(t, "Microsoft.Storage/storageAccounts")["properties"]["isHnsEnabled"] = True
    resource(t, "Microsoft.KeyVault/vaults")["properties"]["enableRbacAuthorization"] = True
    resource(t, "Microsoft.ContainerRegistry/registries")["properties"]["adminUserEnabled"] = False
    oai = resource(t, "Microsoft.CognitiveServices/accounts")["properties"]
    oai.update(
        disableLocalAuth=True, restrictOutboundNetworkAccess=True, allowedFqdnList=["contoso.com"]
    )
    return t


def scan_all(tmp_path: Path, template: Template) -> tuple[ScanResult, Any, Path]:
    """Every default rule and the hardening rules the extension covers."""
    path = tmp_path / "azuredeploy.json"
    import json

    path.write_text(json.dumps(template, indent=2))
    from amlguard.iac.source import TemplateSource

    source = TemplateSource([path], [base.PARAMS], {}, base.CONTEXT)
    pack = load_pack()
    rules = select_rules(pack) + select_rules(pack, HARDENING)
    return run_scan(source, pack, rules, ScanOptions()), source, path


def test_the_extended_blueprint_passes_every_rule(tmp_path: Path) -> None:
    result, _, _ = scan_all(tmp_path, extended())
    assert base.failing(result) == set()
    passed = {f.rule_id for f in result.findings if f.status.value == "pass"}
    assert passed >= {*MORE, *base.DRIFTS}


def _drop_endpoint(name: str) -> Callable[[Template], None]:
    return base.drop_endpoint(name)


def _broad_rule(t: Template) -> None:
    network = ws(t)["properties"]["managedNetwork"]
    network["isolationMode"] = "AllowOnlyApprovedOutbound"
    network["outboundRules"]["anything"] = {"type": "FQDN", "destination": "*"}


def _no_queue_rule(t: Template) -> None:
    ws(t)["properties"]["managedNetwork"]["outboundRules"].pop("storageQueue")


def _compute_local_auth(t: Template) -> None:
    _res("Microsoft.MachineLearningServices/workspaces/computes")(t)["properties"][
        "disableLocalAuth"
    ] = False


def _search_sku(t: Template) -> None:
    _res("Microsoft.Search/searchServices")(t)["sku"] = {"name": "free"}


_SEARCH = _res("Microsoft.Search/searchServices")
_DATA = _res("Microsoft.Storage/storageAccounts", "bpdata")
_AMLREG = _res("Microsoft.MachineLearningServices/registries")

# rule -> (mutation, the template text on the finding's line, or None: the declaration)
MORE: dict[str, tuple[Callable[[Template], None], str | None]] = {
    "AMLG-110": (_broad_rule, None),
    "AMLG-111": (_no_queue_rule, None),
    "AMLG-203": (_set(_DATA, publicNetworkAccess="Enabled"), '"publicNetworkAccess": "Enabled"'),
    "AMLG-204": (_drop_endpoint("data-dfs"), None),  # the default storage's dfs is 202's too
    "AMLG-213": (
        _set(_res("Microsoft.KeyVault/vaults"), enableRbacAuthorization=False),
        '"enableRbacAuthorization": false',
    ),
    "AMLG-224": (
        _set(_res("Microsoft.ContainerRegistry/registries"), adminUserEnabled=True),
        '"adminUserEnabled": true',
    ),
    "AMLG-234": (_set(_SEARCH, publicNetworkAccess="enabled"), '"publicNetworkAccess": "enabled"'),
    "AMLG-235": (_search_sku, '"name": "free"'),
    "AMLG-236": (_drop_endpoint("search"), None),
    "AMLG-237": (_set(_SEARCH, disableLocalAuth=False), '"disableLocalAuth": false'),
    "AMLG-238": (
        _set(_res("Microsoft.CognitiveServices/accounts"), disableLocalAuth=False),
        '"disableLocalAuth": false',
    ),
    "AMLG-239": (
        _set(_res("Microsoft.CognitiveServices/accounts"), restrictOutboundNetworkAccess=False),
        '"restrictOutboundNetworkAccess": false',
    ),
    "AMLG-114": (_compute_local_auth, '"disableLocalAuth": false'),
    "AMLG-250": (
        _set(_res("Microsoft.Insights/components"), publicNetworkAccessForQuery="Enabled"),
        '"publicNetworkAccessForQuery": "Enabled"',
    ),
    "AMLG-241": (_set(_AMLREG, publicNetworkAccess="Enabled"), '"publicNetworkAccess": "Enabled"'),
}


@pytest.mark.parametrize("rule_id", sorted(MORE))
def test_drifted_copy_fails_exactly_that_rule_at_its_line(tmp_path: Path, rule_id: str) -> None:
    mutate, line_text = MORE[rule_id]
    template = extended()
    mutate(template)
    result, source, path = scan_all(tmp_path, template)
    assert base.failing(result) == {rule_id}
    finding = next(f for f in result.findings if f.rule_id == rule_id and f.status.value == "fail")
    loc = source.locate(finding.resource_id, finding.path)
    assert loc is not None and loc.file == str(path)
    line = path.read_text().splitlines()[loc.line - 1]
    if line_text:
        assert line_text in line
    else:  # the declaration of the judged resource
        assert '"type": ' in line or line.strip() == "{" or "name" in line, line


def test_every_rule_that_reads_an_approval_declares_the_iac_assumption() -> None:
    """A rule comparing a connection state with Approved cannot judge a template without the
    assumption (its findings would all be 'error'): the class, not only the rules above."""
    import json

    from amlguard.iac.treatment import compile_treatment

    pack = load_pack()
    reading = [r for r in pack.rules if '"Approved"' in json.dumps(r.raw.get("condition"))]
    assert {"AMLG-202", "AMLG-203", "AMLG-204", "AMLG-236", "AMLG-241", "AMLG-250"} <= {
        r.id for r in reading
    }
    missing = [r.id for r in reading if "assume" not in (r.raw.get("iac") or {})]
    assert missing == []
    assert all(compile_treatment(r) is not None for r in reading)
