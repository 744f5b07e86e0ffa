"""Templates that create Foundry hubs and projects are judged like the live estate (issue 12):
a project joins its hub's instance, has no findings of its own but AMLG-120, and AMLG-120 is
``error`` when the hub is neither in the template nor in the live context.

Templates: Azure Verified Modules' own end-to-end test of a project (``tests/e2e/ai-project``:
a hub in ``dependencies.bicep``, the project through the workspace module, a subscription-scope
template creating the resource group), read by the built-in Bicep reader; the compiled AVM
module deploying a project into the example Foundry estate's hub; the Azure-Samples AI Studio
template (hub and project in ARM JSON)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from amlguard.cli import cli
from amlguard.errors import EXIT_FINDINGS, EXIT_INCOMPLETE, EXIT_OK
from amlguard.iac import bicep, bicepread
from tests.iac.helpers import DATA, SUB

AVM = DATA / "avm-ml-workspace"
E2E = AVM / "tests" / "e2e" / "ai-project" / "main.test.bicep"
ESTATE = Path(__file__).parents[2] / "examples" / "estates" / "foundry-hub.json"
HUB = (
    f"/subscriptions/{SUB}/resourceGroups/ai-foundry-hub/providers/"
    "Microsoft.MachineLearningServices/workspaces/foundry-dev-mlw"
)
_PROJECT = ["--parameter", "name=proj3", "--parameter", "sku=Basic"]
_PROJECT += ["--parameter", "kind=Project", "--parameter", f"hubResourceId={HUB}"]
_WHERE = ["--deployment-subscription", SUB, "--deployment-resource-group", "ai-projects"]
_WHERE += ["--deployment-location", "westeurope"]


def _check(*args: str) -> tuple[int, dict[str, Any]]:
    done = CliRunner().invoke(cli, ["check", *args, "-f", "json"])
    assert done.exit_code in (EXIT_OK, EXIT_FINDINGS, EXIT_INCOMPLETE), done.output
    return done.exit_code, json.loads(done.stdout)


def _on(report: dict[str, Any], name: str) -> list[tuple[str, str]]:
    return [
        (f["rule_id"], f["status"])
        for f in report["findings"]
        if f["resource_id"].lower().endswith(f"/workspaces/{name}".lower())
    ]


@pytest.fixture
def builtin_reader(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No Bicep CLI; AVM's private-endpoint registry module restored from its compiled JSON."""
    if not bicepread.available():
        if os.environ.get("CI"):
            pytest.fail("CI is set and the bicep extra (tree-sitter-bicep) is not installed")
        pytest.skip("the bicep extra is not installed (amlguard[bicep])")
    monkeypatch.delenv("AMLGUARD_BICEP", raising=False)
    monkeypatch.setattr(bicep, "find_cli", lambda: None)
    compiled = json.loads((AVM / "main.json").read_text(encoding="utf-8"))
    nested = compiled["resources"]["workspace_privateEndpoints"]["properties"]["template"]
    cached = tmp_path / "br" / "mcr.microsoft.com" / "bicep$avm$res$network$private-endpoint"
    (cached / "0.10.1$").mkdir(parents=True)
    (cached / "0.10.1$" / "main.json").write_text(json.dumps(nested), encoding="utf-8")
    monkeypatch.setenv("BICEP_CACHE", str(tmp_path))
    yield


@pytest.mark.usefixtures("builtin_reader")
def test_avm_project_test_joins_the_hub_its_dependencies_create() -> None:
    code, report = _check("--template", str(E2E), "--deployment-location", "westeurope")
    assert code == EXIT_FINDINGS  # the test hub is not network-isolated
    (instance,) = report["instances"]
    assert instance["name"].endswith("mlswaiphub001")
    assert [p["name"] for p in instance["projects"]] == ["#_namePrefix_#mlswaip001"]
    # deployed twice ('init', 'idem'): one resource, one row, and only AMLG-120 of its own
    assert _on(report, "#_namePrefix_#mlswaip001") == [("AMLG-120", "pass")]
    assert any(s == "fail" for _, s in _on(report, "dep#_namePrefix_#mlswaiphub001"))


def test_a_project_template_over_the_live_estate_joins_the_live_hub() -> None:
    alone_code, alone = _check("--snapshot", str(ESTATE))
    code, report = _check(
        "--template", str(AVM / "main.json"), *_PROJECT, *_WHERE, "--snapshot", str(ESTATE)
    )
    assert (alone_code, code) == (EXIT_OK, EXIT_OK)
    (instance,) = report["instances"]
    assert instance["id"].lower() == HUB.lower()
    assert "proj3" in [p["name"] for p in instance["projects"]]
    assert _on(report, "proj3") == [("AMLG-120", "pass")]
    assert report["summary"]["by_status"]["pass"] == alone["summary"]["by_status"]["pass"] + 1


def test_a_project_template_without_its_hub_is_amlg_120_error_and_nothing_else() -> None:
    code, report = _check("--template", str(AVM / "main.json"), *_PROJECT, *_WHERE)
    assert code == EXIT_INCOMPLETE
    # as live: the orphan project is listed on its own, with only the AMLG-120 error
    (instance,) = report["instances"]
    assert [p["name"] for p in instance["projects"]] == ["proj3"]
    assert [(f["rule_id"], f["status"]) for f in report["findings"]] == [("AMLG-120", "error")]
    assert "hub foundry-dev-mlw is not in the scanned inventory" in report["findings"][0]["message"]


def test_ai_studio_json_hub_and_project_are_one_instance() -> None:
    ai = DATA / "ai-studio-secure"
    _, report = _check(
        "--template",
        str(ai / "azuredeploy.json"),
        "--parameters",
        str(ai / "azuredeploy.parameters.json"),
        "--deployment-location",
        "westeurope",
    )
    (instance,) = report["instances"]
    assert instance["name"] == "bami-hub-test"
    assert [p["name"] for p in instance["projects"]] == ["bami-project-test"]
    assert _on(report, "bami-project-test") == [("AMLG-120", "pass")]


@pytest.mark.usefixtures("builtin_reader")
def test_avm_hub_test_is_one_hub_instance_without_projects() -> None:
    e2e = AVM / "tests" / "e2e" / "ai-hub" / "main.test.bicep"
    _, report = _check("--template", str(e2e), "--deployment-location", "westeurope")
    (instance,) = report["instances"]
    assert instance["name"] == "#_namePrefix_#mlswaih001"
    assert instance.get("projects", []) == []
