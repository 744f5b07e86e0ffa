"""uniqueString() and guid() give what Azure Resource Manager gives."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from amlguard.iac.expand import DeploymentContext
from amlguard.iac.hashing import arm_guid, murmur64, unique_string
from amlguard.iac.source import TemplateSource
from amlguard.scanner.sources.interface import Needs
from tests.iac.helpers import ev

# Values Azure Resource Manager's own expression library (Azure.Deployments.Expression, the
# engine behind deployments and `bicep snapshot`) computed, as public test suites assert them.
# Each row: arguments, expected, and its source (repository, path, commit; licence).
_BICEP = "Azure/bicep (MIT)"
_SNAPSHOT = "src/Bicep.Cli.IntegrationTests/Files/SnapshotCommandTests/basic/main.snapshot.json"
_FOLDING = "src/Bicep.Core.UnitTests/TypeSystem/FunctionResolverTests.cs"
_PARAMS = "src/Bicep.Core.Samples/Files/baselines_bicepparam/Expressions/parameters.json"
UNIQUE_STRING_VECTORS: list[tuple[tuple[str, ...], str, str]] = [
    # `bicep snapshot` evaluates 'store${uniqueString(resourceGroup().id)}' with the ARM
    # engine for subscription 00000000-... and resource group myRg: storejs26ofeqkqeve
    (
        ("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/myRg",),
        "js26ofeqkqeve",
        f"{_BICEP} {_SNAPSHOT} @930a4add5d97b4e73242a0475dc3639e441eb7b2",
    ),
    # Bicep folds literal arguments through ExpressionBuiltInFunctions (ARM's function table;
    # src/Bicep.Core/TypeSystem/ArmFunctionReturnTypeEvaluator.cs) and asserts the result type
    (
        ("snap", "crackle", "pop"),
        "byghxckddilkc",
        f"{_BICEP} {_FOLDING} @ebe05e24ab7311e69482528d8c4525c9a091ca8c",
    ),
    # `bicep build-params` evaluates parameter values with the same library
    (
        ("asd", "asdf", "asdf"),
        "iizpqit7ih3cc",
        f"{_BICEP} {_PARAMS} @fdf3f3162fbbd053888ab6d3618b8426dbe9f8e1",
    ),
    # microsoft/commercial-marketplace-offer-deploy (MIT) calls Azure.Deployments.Expression
    # 1.0.1040 in tests/UnitTests/ArmFunctionsTests.cs @9ed3d74a0ec98b5d2065aa195b9b4944096194e4.
    # Its first expectation for this VM id, "yeygmhukyx3qg", was replaced by this value in
    # e06d3a6911119e422d2dfdbe0e26d3875b419207 ("All tests passing"): the library computes
    # yvjxno3je5on2; the old value came from a template whose hashed input is not recorded.
    (
        (
            "/subscriptions/31e9f9a0-9fd2-4294-a0a3-0101246d9700/resourceGroups/"
            "rg-modm201-20230913120256/providers/Microsoft.Compute/virtualMachines/bobjacmodm201",
        ),
        "yvjxno3je5on2",
        "microsoft/commercial-marketplace-offer-deploy tests/UnitTests/ArmFunctionsTests.cs",
    ),
    # A C# port's tests (class AzureNaming.Utilities.Tests.TestArmFunctions; repository not
    # recorded by the code index); the resource-group value is the suffix of a workspace its
    # author deployed ('log-devopsshield-ek010devfd63l2gacbtca', in the same author's scripts).
    (("tyeth",), "zcztcwvu6iyg6", "AzureNaming.Utilities TestArmFunctions (unattributed)"),
    (
        (
            "/subscriptions/3c7f956b-55ee-4686-9d30-da1eb631dc59/resourceGroups/"
            "rg-devopsshieldek010dev",
        ),
        "fd63l2gacbtca",
        "AzureNaming.Utilities TestArmFunctions (unattributed)",
    ),
]
GUID_VECTORS: list[tuple[tuple[str, ...], str, str]] = [
    (
        ("foo", "bar", "baz"),
        "2ed86837-7c7c-5eaa-9864-dd077fd19b0d",
        f"{_BICEP} {_FOLDING} @ebe05e24ab7311e69482528d8c4525c9a091ca8c",
    ),
    (
        ("asdf",),
        "228d27cc-6fdb-5934-b7ac-1efccebade04",
        f"{_BICEP} {_PARAMS} @fdf3f3162fbbd053888ab6d3618b8426dbe9f8e1",
    ),
]
# Not vectors: PSRule.Rules.Azure's FunctionTests assert its own stand-ins
# (uniqueString('One') == 'b0ef330613636', guid('abc') == 'aea04463-c5e4-0660-08c9-...'), which
# are not ARM's algorithms (not base-32 a-z2-7; not a version-5 UUID).


@pytest.mark.parametrize(
    ("parts", "expected", "source"),
    UNIQUE_STRING_VECTORS,
    ids=[v[1] for v in UNIQUE_STRING_VECTORS],
)
def test_unique_string_matches_the_arm_engine(
    parts: tuple[str, ...], expected: str, source: str
) -> None:
    assert unique_string(*parts) == expected, source


@pytest.mark.parametrize(
    ("parts", "expected", "source"), GUID_VECTORS, ids=[v[1][:8] for v in GUID_VECTORS]
)
def test_guid_matches_the_arm_engine(parts: tuple[str, ...], expected: str, source: str) -> None:
    assert arm_guid(*parts) == expected, source


def test_the_superseded_marketplace_value_is_not_the_engine_s() -> None:
    """The unverified vector (VM id -> yeygmhukyx3qg) was the upstream test's first guess."""
    vm = UNIQUE_STRING_VECTORS[3][0][0]
    assert unique_string(vm) == "yvjxno3je5on2" != "yeygmhukyx3qg"


def test_unique_string_joins_arguments_with_hyphens() -> None:
    assert unique_string("a", "b") == unique_string("a-b")
    assert unique_string("a", "b") != unique_string("ab")


def test_unique_string_shape() -> None:
    for text in ("", "x", "a" * 7, "a" * 8, "a" * 9, "ü" * 5):
        out = unique_string(text)
        assert len(out) == 13 and set(out) <= set("abcdefghijklmnopqrstuvwxyz234567")


def test_murmur_tail_lengths_differ() -> None:
    # every tail length 0..7 takes its own branch; all must hash differently
    hashes = {murmur64(b"abcdefgh"[:n] + b"12345678") for n in range(9)}
    assert len(hashes) == 9


def test_guid_is_uuid5_in_arm_namespace() -> None:
    namespace = uuid.UUID("11fb06fb-712d-4ddd-98c7-e71bbd588830")
    assert arm_guid("a", "b", "c") == str(uuid.uuid5(namespace, "a-b-c"))
    got = uuid.UUID(arm_guid("/subscriptions/x/resourceGroups/rg", "role"))
    assert got.version == 5
    assert arm_guid("a") != arm_guid("A")


def test_a_template_gives_the_id_bicep_snapshot_predicts(tmp_path: Path) -> None:
    """The snapshot test's main.bicep, compiled by hand: the ARM engine predicted this id."""
    template = {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "parameters": {
            "storageAccountName": {
                "type": "string",
                "defaultValue": "[format('store{0}', uniqueString(resourceGroup().id))]",
            }
        },
        "resources": [
            {
                "type": "Microsoft.Storage/storageAccounts",
                "apiVersion": "2022-09-01",
                "name": "[parameters('storageAccountName')]",
                "location": "eastus",
                "sku": {"name": "Standard_LRS"},
                "kind": "StorageV2",
                "properties": {},
            }
        ],
    }
    path = tmp_path / "main.json"
    path.write_text(json.dumps(template))
    context = DeploymentContext(
        subscription_id="00000000-0000-0000-0000-000000000000",
        resource_group="myRg",
        location="eastus",
    )
    rows = TemplateSource([path], [], {}, context).collect(Needs(types=())).rows
    assert [r["id"] for r in rows] == [
        "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/myRg"
        "/providers/Microsoft.Storage/storageAccounts/storejs26ofeqkqeve"
    ]


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("uniqueString('snap', 'crackle', 'pop')", "byghxckddilkc"),
        ("guid('foo', 'bar', 'baz')", "2ed86837-7c7c-5eaa-9864-dd077fd19b0d"),
        ("guid('asdf')", "228d27cc-6fdb-5934-b7ac-1efccebade04"),
    ],
)
def test_the_template_functions_use_them(expression: str, expected: str) -> None:
    assert ev(expression) == expected
