"""A datastore's storage account outside a ``-g`` filter is read, not left unjudged
(redteam10a #8): a datastore names its account by name, and the live scan reads the id the
datastore implies (its subscriptionId and resourceGroup, by default its workspace's), so a
filtered scan judges a project's data lake as the full scan does. Live, real SDK clients."""

from __future__ import annotations

import json
from typing import Any

import pytest

from amlguard.scanner.model import ScanResult, Status
from amlguard.scanner.sources import references
from tests.conftest import EXAMPLES
from tests.emulator import arg
from tests.emulator.live import scan, source
from tests.emulator.server import Emulator

SUB = "8f1c2a6e-3b4d-4e5f-9a0b-1c2d3e4f5a6b"
RG = "ai-projects"
PROJECT = (
    f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/"
    "Microsoft.MachineLearningServices/workspaces/foundry-dev-proj2"
)


def _lake(name: str, rg: str, public: str) -> dict[str, Any]:
    return {
        "id": f"/subscriptions/{SUB}/resourceGroups/{rg}/providers/Microsoft.Storage/storageAccounts/{name}",
        "name": name,
        "type": "microsoft.storage/storageaccounts",
        "kind": "StorageV2",
        "location": "swedencentral",
        "resourceGroup": rg,
        "subscriptionId": SUB,
        "properties": {"publicNetworkAccess": public, "networkAcls": {"defaultAction": "Deny"}},
        "tags": {},
    }


def _datastore(account: str, **where: str) -> dict[str, Any]:
    return {
        "id": f"{PROJECT}/datastores/lake",
        "name": "lake",
        "type": "microsoft.machinelearningservices/workspaces/datastores",
        "properties": {
            "datastoreType": "AzureBlob",
            "accountName": account,
            "containerName": "raw",
            "endpoint": "core.windows.net",
            **where,
        },
    }


def _rows(*extra: dict[str, Any]) -> list[dict[str, Any]]:
    rows = list(json.loads((EXAMPLES / "foundry-hub.json").read_text())["data"])
    return [*rows, *extra]


def _judged(result: ScanResult, name: str) -> set[tuple[str, Status]]:
    return {(f.rule_id, f.status) for f in result.findings if name in f.resource_id.lower()}


def _scan(rows: list[dict[str, Any]], groups: tuple[str, ...]) -> ScanResult:
    with Emulator(rows) as emu:
        arg.install(emu)
        return scan(source(emu, resource_groups=groups))


@pytest.mark.parametrize(
    ("rg", "where"),
    [
        (RG, {}),  # the workspace's own group, implied
        ("data-lakes", {"resourceGroup": "data-lakes", "subscriptionId": SUB}),
        ("Data-Lakes", {"resourceGroup": "data-lakes", "subscriptionId": SUB.upper()}),
    ],
)
def test_a_filtered_scan_judges_a_project_s_data_lake_as_the_full_scan(
    rg: str, where: dict[str, str]
) -> None:
    rows = _rows(_lake("proj2lake", rg, "Enabled"), _datastore("proj2lake", **where))
    full = _scan(rows, ())
    filtered = _scan(rows, ("ai-foundry-hub",))
    assert filtered.source.complete, filtered.source.gaps
    judged = _judged(filtered, "proj2lake")
    assert judged == _judged(full, "proj2lake")
    assert ("AMLG-203", Status.FAIL) in judged  # public: it failed as 'error' before


def test_a_datastore_naming_an_account_the_filter_already_read_reads_nothing_more() -> None:
    rows = _rows(_datastore("foundry-dev-st"))  # hypothetical name not in the estate either
    named = references.named_resources(rows, [], set())
    assert any(r.lower().endswith("/storageaccounts/foundry-dev-st") for r in named)
    lake = _lake("foundry-dev-st", RG, "Disabled")
    assert not any(
        r.lower().endswith("/storageaccounts/foundry-dev-st")
        for r in references.named_resources([*rows, lake], [], set())
    )
