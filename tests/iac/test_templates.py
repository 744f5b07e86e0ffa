"""Real and synthetic templates expand into the rows a deployment would create."""

from __future__ import annotations

import json
import os
import stat
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from amlguard.errors import InputError
from amlguard.iac.expand import DeploymentContext
from amlguard.iac.rowsfile import rows_document
from amlguard.iac.source import TemplateSource
from amlguard.iac.values import Unknown
from amlguard.scanner.sources.interface import Collected, Needs
from tests.iac.helpers import DATA, RG, SUB

STUDIO = DATA / "ai-studio-secure"
AVM = DATA / "avm-ml-workspace"
OWN = DATA / "own" / "blueprint"
SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"
CONTEXT = DeploymentContext(subscription_id=SUB, resource_group=RG, location="westeurope")


def collect(
    templates: list[Path], params: list[Path] | None = None, values: dict[str, str] | None = None
) -> tuple[TemplateSource, Collected]:
    source = TemplateSource(templates, params or [], values or {}, CONTEXT)
    return source, source.collect(Needs(types=()))


def by_type(rows: list[dict[str, Any]]) -> Counter[str]:
    return Counter(r["type"] for r in rows)


def write(tmp: Path, name: str, template: dict[str, Any]) -> Path:
    path = tmp / name
    path.write_text(
        json.dumps({"$schema": SCHEMA, "contentVersion": "1.0.0.0", **template}, indent=2)
    )
    return path


# ---- real templates ------------------------------------------------------------------------


def test_ai_studio_secure_expands_to_its_79_resources() -> None:
    _, got = collect([STUDIO / "azuredeploy.json"], [STUDIO / "azuredeploy.parameters.json"])
    types = by_type(got.rows)
    assert len(got.rows) == 79
    assert types["microsoft.machinelearningservices/workspaces"] == 2  # hub and project
    assert types["microsoft.network/privateendpoints"] == 6
    assert types["microsoft.network/privateendpoints/privatednszonegroups"] == 6
    assert types["microsoft.network/privatednszones/virtualnetworklinks"] == 8
    assert types["microsoft.authorization/roleassignments"] == 13
    hub = next(r for r in got.rows if r["name"] == "bami-hub-test")
    assert hub["kind"] == "Hub" and hub["location"] == "westeurope"
    assert hub["properties"]["managedNetwork"]["isolationMode"] == "AllowInternetOutbound"
    assert hub["id"] == (
        f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/"
        "Microsoft.MachineLearningServices/workspaces/bami-hub-test"
    )


def test_the_parameter_file_password_never_reaches_any_output() -> None:
    password = json.loads((STUDIO / "azuredeploy.parameters.json").read_text())["parameters"][
        "vmAdminPasswordOrKey"
    ]["value"]
    source, got = collect([STUDIO / "azuredeploy.json"], [STUDIO / "azuredeploy.parameters.json"])
    text = json.dumps(rows_document(source, got))
    assert password not in text
    vm = next(r for r in got.rows if r["type"] == "microsoft.compute/virtualmachines")
    secret = vm["properties"]["osProfile"]["adminPassword"]
    assert isinstance(secret, Unknown) and secret.secret
    assert "unknown before deployment: <secret>" in secret.reason()


def test_avm_module_language_version_2() -> None:
    _, got = collect([AVM / "main.json"], [DATA / "own" / "avm-ml-workspace.parameters.json"])
    assert by_type(got.rows) == {
        "microsoft.machinelearningservices/workspaces": 1,
        "microsoft.authorization/roleassignments": 1,
        "microsoft.network/privateendpoints": 1,
        "microsoft.network/privateendpoints/privatednszonegroups": 1,
    }
    ws = got.rows[0]
    uai = next(iter(ws["identity"]["userAssignedIdentities"].values()))
    assert isinstance(uai["principalId"], Unknown)
    assert uai["principalId"].key.endswith("/avm-id:properties.principalId")
    pe = next(r for r in got.rows if r["type"] == "microsoft.network/privateendpoints")
    # AVM reads the endpoint location from the VNet outside the template: unknown
    assert isinstance(pe["location"], Unknown) and "avm-vnet" in pe["location"].key
    conn = pe["properties"]["privateLinkServiceConnections"][0]["properties"]
    assert conn["privateLinkServiceId"] == ws["id"]
    # the approval exists only after deployment: an unknown naming what the template requests
    status = conn["privateLinkServiceConnectionState"]["status"]
    assert isinstance(status, Unknown) and status.key.endswith(": approval (automatic)")
    group = next(r for r in got.rows if r["type"].endswith("privatednszonegroups"))
    assert group["name"] == "default"  # the module parameter's null takes the default


def test_avm_module_without_its_required_parameters_is_an_input_error() -> None:
    with pytest.raises(InputError) as info:
        collect([AVM / "main.json"])
    assert "required parameter(s) without a value: name, sku" in str(info.value)


def test_own_blueprint_rows_and_unknown_principal_match() -> None:
    _, got = collect([OWN / "azuredeploy.json"], [OWN / "azuredeploy.parameters.json"])
    assert len(got.rows) == 37
    ra = next(r for r in got.rows if r["type"] == "microsoft.authorization/roleassignments")
    ws = next(r for r in got.rows if r["type"] == "microsoft.machinelearningservices/workspaces")
    principal = next(iter(ws["identity"]["userAssignedIdentities"].values()))["principalId"]
    assert ra["properties"]["principalId"] == principal  # the same unknown
    assert ra["properties"]["scope"] == f"/subscriptions/{SUB}/resourceGroups/{RG}"
    groups = [r for r in got.rows if r["type"].endswith("privatednszonegroups")]
    ws_group = next(g for g in groups if "pe-workspace" in g["id"])
    zones = [
        c["properties"]["privateDnsZoneId"].rsplit("/", 1)[-1]
        for c in ws_group["properties"]["privateDnsZoneConfigs"]
    ]
    assert zones == ["privatelink.api.azureml.ms", "privatelink.notebooks.azure.net"]


def test_locations_point_at_the_written_property(tmp_path: Path) -> None:
    source, got = collect([OWN / "azuredeploy.json"], [OWN / "azuredeploy.parameters.json"])
    lines = (OWN / "azuredeploy.json").read_text().splitlines()
    st = next(r for r in got.rows if r["type"] == "microsoft.storage/storageaccounts")
    loc = source.locate(st["id"], "properties.publicNetworkAccess")
    assert loc is not None and '"publicNetworkAccess": "Disabled"' in lines[loc.line - 1]
    absent = source.locate(st["id"], "properties.minimumTlsVersion")
    assert absent is not None and '"properties"' in lines[absent.line - 1]
    pe = next(r for r in got.rows if r["type"] == "microsoft.network/privateendpoints")
    decl = source.locate(pe["id"])
    assert decl is not None and '"type": "Microsoft.Network/privateEndpoints"' in "\n".join(
        lines[decl.line - 1 : decl.line + 1]
    )
    sites = source.call_sites(pe["id"])
    assert len(sites) == 1 and '"Microsoft.Resources/deployments"' in "\n".join(
        lines[sites[0].line - 1 : sites[0].line + 1]
    )


# ---- synthetic templates: each feature -----------------------------------------------------


def test_nested_deployments_scopes_and_outputs(tmp_path: Path) -> None:
    inner = {
        "$schema": SCHEMA,
        "parameters": {"n": {"type": "string"}},
        "resources": [
            {
                "type": "Microsoft.Storage/storageAccounts",
                "name": "[parameters('n')]",
                "location": "[resourceGroup().location]",
            }
        ],
        "outputs": {
            "id": {
                "type": "string",
                "value": "[resourceId('Microsoft.Storage/storageAccounts', parameters('n'))]",
            }
        },
    }
    path = write(
        tmp_path,
        "main.json",
        {
            "variables": {"v": "outer-var"},
            "resources": [
                {
                    "type": "Microsoft.Resources/deployments",
                    "name": "inner",
                    "resourceGroup": "other-rg",
                    "properties": {
                        "expressionEvaluationOptions": {"scope": "inner"},
                        "parameters": {"n": {"value": "st1"}},
                        "template": inner,
                    },
                },
                {
                    "type": "Microsoft.Resources/deployments",
                    "name": "outer",
                    "properties": {
                        "template": {
                            "$schema": SCHEMA,
                            "resources": [
                                {"type": "Microsoft.KeyVault/vaults", "name": "[variables('v')]"}
                            ],
                        }
                    },
                },
                {
                    "type": "Microsoft.Network/networkInterfaces",
                    "name": "nic",
                    "properties": {
                        "note": "[reference(resourceId('other-rg', 'Microsoft.Resources/deployments', 'inner')).outputs.id.value]"
                    },
                },
            ],
        },
    )
    _, got = collect([path])
    ids = {r["type"]: r for r in got.rows}
    st = ids["microsoft.storage/storageaccounts"]
    assert st["resourceGroup"] == "other-rg"
    assert isinstance(st["location"], Unknown)  # another resource group's location
    assert ids["microsoft.keyvault/vaults"]["name"] == "outer-var"  # outer scope sees parent vars
    assert ids["microsoft.network/networkinterfaces"]["properties"]["note"] == st["id"]


def test_subscription_scope_template_with_resource_group_module(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "sub.json",
        {
            "$schema": "https://schema.management.azure.com/schemas/2018-05-01/subscriptionDeploymentTemplate.json#",
            "resources": [
                {
                    "type": "Microsoft.Resources/resourceGroups",
                    "name": "rg-a",
                    "location": "westeurope",
                },
                {
                    "type": "Microsoft.Resources/deployments",
                    "name": "m",
                    "resourceGroup": "rg-a",
                    "properties": {
                        "expressionEvaluationOptions": {"scope": "inner"},
                        "template": {
                            "$schema": SCHEMA,
                            "resources": [
                                {
                                    "type": "Microsoft.KeyVault/vaults",
                                    "name": "kv",
                                    "properties": {"rg": "[resourceGroup().name]"},
                                }
                            ],
                        },
                    },
                },
            ],
        },
    )
    _, got = collect([path])
    kv = next(r for r in got.rows if r["type"] == "microsoft.keyvault/vaults")
    assert (
        kv["id"]
        == f"/subscriptions/{SUB}/resourceGroups/rg-a/providers/Microsoft.KeyVault/vaults/kv"
    )
    assert kv["properties"]["rg"] == "rg-a"
    rg = next(r for r in got.rows if r["type"] == "microsoft.resources/resourcegroups")
    assert rg["id"] == f"/subscriptions/{SUB}/providers/Microsoft.Resources/resourceGroups/rg-a"


def test_copy_condition_existing_extension_and_child_resources(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "t.json",
        {
            "languageVersion": "2.0",
            "parameters": {
                "names": {"type": "array", "defaultValue": ["a", "b"]},
                "deploy": {"type": "bool", "defaultValue": False},
            },
            "variables": {
                "copy": [
                    {
                        "name": "upper",
                        "count": 2,
                        "input": "[toUpper(parameters('names')[copyIndex('upper')])]",
                    }
                ]
            },
            "resources": {
                "st": {
                    "type": "Microsoft.Storage/storageAccounts",
                    "name": "[format('st{0}', parameters('names')[copyIndex()])]",
                    "copy": {"name": "st", "count": "[length(parameters('names'))]"},
                    "properties": {"tag": "[variables('upper')[copyIndex()]]"},
                },
                "skipped": {
                    "condition": "[parameters('deploy')]",
                    "type": "Microsoft.KeyVault/vaults",
                    "name": "kv",
                },
                "vnet": {
                    "existing": True,
                    "type": "Microsoft.Network/virtualNetworks",
                    "name": "hub",
                },
                "ra": {
                    "type": "Microsoft.Authorization/roleAssignments",
                    "name": "ra1",
                    "scope": "Microsoft.Storage/storageAccounts/sta",
                    "properties": {
                        "principalId": "[reference('vnet', '2023-01-01', 'full').properties.x]"
                    },
                },
                "blob": {
                    "type": "Microsoft.Storage/storageAccounts/blobServices",
                    "name": "sta/default",
                },
            },
        },
    )
    _, got = collect([path])
    names = [r["name"] for r in got.rows]
    assert names == ["sta", "stb", "ra1", "default"]
    assert got.rows[0]["properties"]["tag"] == "A" and got.rows[1]["properties"]["tag"] == "B"
    ra = got.rows[2]
    prefix = (
        f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Storage/storageAccounts/sta"
    )
    assert ra["id"] == f"{prefix}/providers/Microsoft.Authorization/roleAssignments/ra1"
    assert ra["properties"]["scope"] == prefix
    assert isinstance(ra["properties"]["principalId"], Unknown)  # existing: outside the template
    assert got.rows[3]["id"] == f"{prefix}/blobServices/default"


def test_language_version_1_nested_child_resources(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "t.json",
        {
            "resources": [
                {
                    "type": "Microsoft.Network/privateDnsZones",
                    "name": "[concat('privatelink', '.azurecr.io')]",
                    "resources": [
                        {
                            "type": "virtualNetworkLinks",
                            "name": "link",
                            "properties": {"registrationEnabled": False},
                        }
                    ],
                },
            ]
        },
    )
    _, got = collect([path])
    assert [r["type"] for r in got.rows] == [
        "microsoft.network/privatednszones",
        "microsoft.network/privatednszones/virtualnetworklinks",
    ]
    assert got.rows[1]["id"].endswith(
        "privateDnsZones/privatelink.azurecr.io/virtualNetworkLinks/link"
    )


def test_linked_template_by_relative_path(tmp_path: Path) -> None:
    (tmp_path / "modules").mkdir()
    write(
        tmp_path / "modules",
        "kv.json",
        {"resources": [{"type": "Microsoft.KeyVault/vaults", "name": "kv-linked"}]},
    )
    path = write(
        tmp_path,
        "main.json",
        {
            "resources": [
                {
                    "type": "Microsoft.Resources/deployments",
                    "name": "m",
                    "properties": {"templateLink": {"relativePath": "modules/kv.json"}},
                }
            ]
        },
    )
    _, got = collect([path])
    assert [r["name"] for r in got.rows] == ["kv-linked"]


@pytest.mark.parametrize(
    ("resources", "message"),
    [
        (
            [
                {
                    "type": "Microsoft.Resources/deployments",
                    "name": "m",
                    "properties": {"templateLink": {"uri": "https://example.com/t.json"}},
                }
            ],
            "linked template",
        ),
        (
            [
                {
                    "type": "Microsoft.KeyVault/vaults",
                    "name": "[utcNow()]",
                    "copy": {"name": "c", "count": "[length(utcNow())]"},
                }
            ],
            "copy count is unknown",
        ),
        (
            [
                {
                    "type": "Microsoft.KeyVault/vaults",
                    "name": "kv",
                    "properties": {"x": "[notAFunction('a')]"},
                }
            ],
            "function 'notAFunction'",
        ),
        (
            [
                {
                    "type": "Microsoft.KeyVault/vaults",
                    "name": "kv",
                    "properties": {"x": "[concat('a']"},
                }
            ],
            "invalid expression",
        ),
        ([{"type": "vaults", "name": "kv"}], "needs a type"),
        (
            [{"type": "Microsoft.Network/privateDnsZones/virtualNetworkLinks", "name": "onlyone"}],
            "needs 2 name segment",
        ),
    ],
)
def test_template_errors_name_file_and_line(
    tmp_path: Path, resources: list[Any], message: str
) -> None:
    path = write(tmp_path, "bad.json", {"resources": resources})
    with pytest.raises(InputError) as info:
        collect([path])
    text = str(info.value)
    assert message in text
    assert text.startswith(f"{path}:") and text.split(":")[1].isdigit()


def test_unsupported_function_in_an_unused_output_is_still_an_error(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "t.json",
        {
            "resources": [],
            "outputs": {"o": {"type": "string", "value": "[cidrHost('10.0.0.0/24', 1)]"}},
        },
    )
    with pytest.raises(InputError, match=r"t.json:\d+:\d+: function 'cidrHost'"):
        collect([path])


def test_invalid_json_and_not_a_template(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"resources": [1, }')
    with pytest.raises(InputError, match=r"bad.json:1:\d+: invalid JSON"):
        collect([bad])
    other = tmp_path / "other.json"
    other.write_text('{"a": 1}')
    with pytest.raises(InputError, match="not an ARM deployment template"):
        collect([other])


def test_parameters_overrides_files_and_typos(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "t.json",
        {
            "parameters": {
                "count": {"type": "int"},
                "on": {"type": "bool"},
                "tags": {"type": "object"},
            },
            "resources": [
                {
                    "type": "Microsoft.KeyVault/vaults",
                    "name": "[format('kv{0}', parameters('count'))]",
                    "condition": "[parameters('on')]",
                    "tags": "[parameters('tags')]",
                }
            ],
        },
    )
    _, got = collect([path], values={"count": "3", "on": "true", "tags": '{"a": "b"}'})
    assert got.rows[0]["name"] == "kv3" and got.rows[0]["tags"] == {"a": "b"}
    with pytest.raises(InputError, match="no template declares: cuont"):
        collect([path], values={"count": "3", "on": "true", "tags": "{}", "cuont": "1"})
    with pytest.raises(InputError, match="not an integer"):
        collect([path], values={"count": "x", "on": "true", "tags": "{}"})


def test_folder_takes_templates_and_their_parameter_files(tmp_path: Path) -> None:
    folder = tmp_path / "infra"
    folder.mkdir()
    write(
        folder,
        "azuredeploy.json",
        {
            "parameters": {"n": {"type": "string"}},
            "resources": [{"type": "Microsoft.KeyVault/vaults", "name": "[parameters('n')]"}],
        },
    )
    (folder / "azuredeploy.parameters.json").write_text(
        json.dumps(
            {
                "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#",
                "parameters": {"n": {"value": "from-sibling"}},
            }
        )
    )
    (folder / "main.bicep").write_text("// compiled as azuredeploy.json\n")
    source, got = collect([folder])
    assert [r["name"] for r in got.rows] == ["from-sibling"]
    assert any("main.bicep: not read" in w for w in source.warnings)


def test_bicep_without_the_cli_says_how_to_get_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("AMLGUARD_BICEP", raising=False)
    from amlguard.iac import bicepread

    monkeypatch.setattr(bicepread, "available", lambda: False)  # nor the built-in reader
    bicep_file = tmp_path / "main.bicep"
    bicep_file.write_text("resource kv 'Microsoft.KeyVault/vaults@2023-07-01' = { name: 'kv' }\n")
    with pytest.raises(InputError) as info:
        collect([bicep_file])
    assert "needs the Bicep CLI" in str(info.value) and "bicep build" in str(info.value)


def test_bicep_through_a_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    compiled = json.dumps(
        {
            "$schema": SCHEMA,
            "resources": [{"type": "Microsoft.KeyVault/vaults", "name": "kv-bicep"}],
        }
    )
    fake = tmp_path / "bicep"
    fake.write_text(f"#!/bin/sh\n[ \"$1\" = build ] || exit 3\ncat <<'EOF'\n{compiled}\nEOF\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("AMLGUARD_BICEP", str(fake))
    bicep_file = tmp_path / "main.bicep"
    bicep_file.write_text("// anything\n")
    _, got = collect([bicep_file])
    assert [r["name"] for r in got.rows] == ["kv-bicep"]
    failing = tmp_path / "bicep-fails"
    failing.write_text("#!/bin/sh\necho 'main.bicep(1,1) : Error BCP007: bad' >&2\nexit 1\n")
    failing.chmod(failing.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("AMLGUARD_BICEP", str(failing))
    with pytest.raises(InputError, match="BCP007"):
        collect([bicep_file])
    assert os.environ["AMLGUARD_BICEP"] == str(failing)


def _fake_cli(tmp_path: Path, compiled: Path, params: dict[str, Any] | None = None) -> Path:
    """A stand-in Bicep CLI: 'build' prints a compiled template, 'build-params' parameters."""
    wrapped = json.dumps({"parametersJson": json.dumps({"parameters": params or {}})})
    script = tmp_path / "bicep"
    script.write_text(
        "#!/bin/sh\n"
        f"if [ \"$1\" = build ]; then cat '{compiled}'; exit 0; fi\n"
        f"if [ \"$1\" = build-params ]; then cat <<'EOF'\n{wrapped}\nEOF\nexit 0; fi\n"
        "exit 9\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script


def test_bicep_findings_point_at_the_bicep_modules(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AMLGUARD_BICEP", str(_fake_cli(tmp_path, STUDIO / "azuredeploy.json")))
    source, got = collect([STUDIO / "main.bicep"], [STUDIO / "azuredeploy.parameters.json"])
    ai = next(r for r in got.rows if r["type"] == "microsoft.cognitiveservices/accounts")
    loc = source.locate(ai["id"], "properties.publicNetworkAccess")
    assert loc is not None and loc.file.endswith("modules/aiServices.bicep")
    lines = (STUDIO / "modules" / "aiServices.bicep").read_text().splitlines()
    assert lines[loc.line - 1].strip().startswith("publicNetworkAccess:")
    decl = source.locate(ai["id"])
    assert decl is not None and lines[decl.line - 1].startswith("resource ")
    site = source.call_sites(ai["id"])[0]
    assert site.file.endswith("main.bicep")
    main = (STUDIO / "main.bicep").read_text().splitlines()
    assert main[site.line - 1].startswith("module aiServices ")


def test_bicepparam_goes_through_build_params(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    template = write(
        tmp_path,
        "main.json",
        {
            "parameters": {"n": {"type": "string"}},
            "resources": [{"type": "Microsoft.KeyVault/vaults", "name": "[parameters('n')]"}],
        },
    )
    monkeypatch.setenv(
        "AMLGUARD_BICEP", str(_fake_cli(tmp_path, template, {"n": {"value": "kv-from-bicepparam"}}))
    )
    params = tmp_path / "main.bicepparam"
    params.write_text("using 'main.bicep'\nparam n = 'kv-from-bicepparam'\n")
    _, got = collect([template], [params])
    assert [r["name"] for r in got.rows] == ["kv-from-bicepparam"]


def test_error_messages_neutralise_terminal_escapes(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "t.json",
        {
            "resources": [
                {
                    "type": "Microsoft.KeyVault/vaults",
                    "name": "kv",
                    "properties": {"x": "[concat('\x1b[31m', 1, createObject().nope)]"},
                }
            ]
        },
    )
    with pytest.raises(InputError) as info:
        collect([path])
    assert "\x1b" not in str(info.value) and "\\x1b" in str(info.value)


def test_related_locations_follow_parameters_to_their_value(tmp_path: Path) -> None:
    source, got = collect([OWN / "azuredeploy.json"], [OWN / "azuredeploy.parameters.json"])
    lines = (OWN / "azuredeploy.json").read_text().splitlines()
    ws = next(r for r in got.rows if r["type"] == "microsoft.machinelearningservices/workspaces")
    related = source.related(ws["id"], "properties.publicNetworkAccess")
    assert len(related) == 1 and '"defaultValue": "Disabled"' in lines[related[0].line - 1]
    pe = next(r for r in got.rows if r["type"] == "microsoft.network/privateendpoints")
    chain = source.related(pe["id"], "properties.subnet.id")
    # the module's subnetId parameter, then the module call site
    assert '"subnetId"' in lines[chain[0].line - 1]
    assert chain[-1] == source.call_sites(pe["id"])[0]
    params = tmp_path / "p.json"
    params.write_text(
        json.dumps(
            {
                "parameters": {
                    "vmAdminPassword": {"value": "x-Secret-1"},
                    "workspacePublicNetworkAccess": {"value": "Enabled"},
                }
            },
            indent=2,
        )
    )
    source, got = collect([OWN / "azuredeploy.json"], [params])
    related = source.related(ws["id"], "properties.publicNetworkAccess")
    assert related[0].file == str(params)
    assert '"value": "Enabled"' in params.read_text().splitlines()[related[0].line - 1]


def test_bicep_snapshot_output_is_read_as_rows(tmp_path: Path) -> None:
    ws_id = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.MachineLearningServices/workspaces/w"
    snapshot = tmp_path / "main.snapshot.json"
    snapshot.write_text(
        json.dumps(
            {
                "predictedResources": [
                    {
                        "id": ws_id,
                        "type": "Microsoft.MachineLearningServices/workspaces",
                        "name": "w",
                        "apiVersion": "2024-10-01",
                        "location": "westeurope",
                        "identity": {"type": "SystemAssigned"},
                        "properties": {
                            "publicNetworkAccess": "Disabled",
                            "keyVault": "[reference('kv').outputs.id.value]",
                        },
                    },
                    {
                        "id": f"{ws_id}/providers/Microsoft.Authorization/roleAssignments/g",
                        "type": "Microsoft.Authorization/roleAssignments",
                        "name": "g",
                        "properties": {},
                    },
                ],
                "diagnostics": [],
            },
            indent=2,
        )
    )
    source, got = collect([snapshot])
    ws, ra = got.rows
    assert ws["type"] == "microsoft.machinelearningservices/workspaces"
    assert isinstance(ws["properties"]["keyVault"], Unknown)
    assert isinstance(ws["identity"]["principalId"], Unknown)
    assert ra["properties"]["scope"] == ws_id
    loc = source.locate(ws_id, "properties.publicNetworkAccess")
    assert (
        loc is not None
        and '"publicNetworkAccess"' in snapshot.read_text().splitlines()[loc.line - 1]
    )


def test_a_template_that_links_itself_is_an_error_not_a_crash(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "loop.json",
        {
            "resources": [
                {
                    "type": "Microsoft.Resources/deployments",
                    "name": "again",
                    "properties": {"templateLink": {"relativePath": "loop.json"}},
                }
            ]
        },
    )
    with pytest.raises(InputError, match="nested deployments deeper than"):
        collect([path])
