"""Templates over an estate: template rows replace the estate's, runtime state comes from it."""

from __future__ import annotations

import copy
import json
from pathlib import Path

from amlguard.iac.combined import CombinedSource
from amlguard.iac.expand import DeploymentContext
from amlguard.iac.source import TemplateSource
from amlguard.scanner.sources.interface import Needs
from amlguard.scanner.sources.snapshot import SnapshotSource
from tests.iac.helpers import DATA, RG, SUB, scan

OWN = DATA / "own" / "blueprint"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "estates"
CONTEXT = DeploymentContext(subscription_id=SUB, resource_group=RG, location="germanywestcentral")


def combined(template: Path) -> CombinedSource:
    source = TemplateSource([template], [OWN / "azuredeploy.parameters.json"], {}, CONTEXT)
    return CombinedSource(source, SnapshotSource([EXAMPLES / "compliant.json"]))


def test_predicted_state_of_a_compliant_template_passes_everything() -> None:
    result = scan(combined(OWN / "azuredeploy.json"))
    assert {f.status.value for f in result.findings} == {"pass"}
    assert result.source.stats["replaced"] == 36  # all but the role assignment (another name)


def test_template_change_wins_over_the_estate(tmp_path: Path) -> None:
    template = json.loads((OWN / "azuredeploy.json").read_text())
    drifted = copy.deepcopy(template)
    storage = next(
        r for r in drifted["resources"] if r["type"] == "Microsoft.Storage/storageAccounts"
    )
    storage["properties"]["publicNetworkAccess"] = "Enabled"
    path = tmp_path / "azuredeploy.json"
    path.write_text(json.dumps(drifted))
    result = scan(combined(path))
    assert {f.rule_id for f in result.findings if f.status.value == "fail"} == {"AMLG-201"}


def test_unknown_principals_become_the_estates() -> None:
    got = combined(OWN / "azuredeploy.json").collect(Needs(types=()))
    ra = next(
        r
        for r in got.rows
        if r["type"] == "microsoft.authorization/roleassignments" and "f8471535" not in r["id"]
    )  # the template's assignment, not the estate's
    assert ra["properties"]["principalId"] == "76951df0-1ea1-5d9d-9d7a-209c4992c3e9"
    ws = next(r for r in got.rows if r["type"] == "microsoft.machinelearningservices/workspaces")
    assert ws["properties"]["managedNetwork"]["status"]["status"] == "Active"  # from the estate
