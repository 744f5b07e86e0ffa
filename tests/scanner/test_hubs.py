"""Foundry hubs and projects (real-estates 4.1 E1): a project joins its hub's instance."""

from __future__ import annotations

from pathlib import Path

import pytest

from amlguard.remediate.fix import prepare
from amlguard.scanner import ids
from amlguard.scanner.model import Status
from amlguard.scanner.rules import load_pack
from amlguard.scanner.scan import ScanOptions, select_rules
from amlguard.scanner.sources.snapshot import SnapshotSource
from tests import make_examples
from tests.builders import blueprint, foundry_hub, project, rid, row
from tests.scanner.harness import all_pass, instances, not_passing, of_rule, only_flips, scan

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "estates"
WORKSPACE_RULES = {f"AMLG-10{i}" for i in range(1, 10)}


def _project_ids(inst_rows: list[dict]) -> set[str]:
    return {ids.norm(r["id"]) for r in inst_rows if str(r.get("kind")).lower() == "project"}


def test_compliant_hub_with_two_projects_passes_everything() -> None:
    hub = foundry_hub()
    findings = all_pass(hub.rows())
    # one instance: the hub; its projects are judged by AMLG-120 only
    assert {f.instance for f in findings} == {hub.workspace["id"]}
    projects = _project_ids(hub.rows())
    assert len(projects) == 2
    on_projects = [f for f in findings if ids.norm(f.resource_id) in projects]
    assert {f.rule_id for f in on_projects} == {"AMLG-120"}
    assert len(of_rule(findings, "AMLG-101")) == 1


def test_instance_lists_its_projects_in_both_resource_groups() -> None:
    hub = foundry_hub()
    (inst,) = instances(hub.rows())
    assert inst.kind == "Hub" and not inst.orphan
    groups = {p["resourceGroup"] for p in inst.project_summaries()}
    assert groups == {"ai-foundry-hub", "ai-projects"}
    assert inst.view()["projects"] == [p["id"] for p in hub.projects]


def test_hub_id_is_matched_case_insensitively() -> None:
    hub = foundry_hub()
    hub.projects[0]["properties"]["hubResourceId"] = hub.workspace["id"].upper()
    (inst,) = instances(hub.rows())
    assert len(inst.projects) == 2


@pytest.mark.parametrize("filled", [False, True])
def test_a_project_never_produces_workspace_or_resource_findings(filled: bool) -> None:
    """proj-min and proj-filled under a compliant hub: no 101-109/2xx/3xx of their own."""
    hub = foundry_hub(project_rgs=())
    p = project(hub, "p", filled=filled)
    p["properties"]["publicNetworkAccess"] = "Enabled"  # follows the hub: not judged on the row
    hub.projects.append(p)
    findings = all_pass(hub.rows())
    assert [f.rule_id for f in findings if ids.norm(f.resource_id) == ids.norm(p["id"])] == [
        "AMLG-120"
    ]


def test_project_whose_hub_is_not_scanned_is_one_error() -> None:
    hub = foundry_hub(project_rgs=())
    gone = rid(hub.sub, "elsewhere", "Microsoft.MachineLearningServices/workspaces", "gone-hub")
    hub.projects.append(project(hub, "lost", hub_id=gone))
    findings = scan(hub.rows())
    assert not_passing(findings) == {"AMLG-120": {"error"}}
    (f,) = [f for f in findings if f.rule_id == "AMLG-120"]
    assert f.instance == hub.projects[0]["id"] and f.status is Status.ERROR
    assert "hub outside the scan scope or deleted" in f.message
    assert [x for x in findings if x.instance == f.instance] == [f]


def test_project_without_hub_id_is_an_error_naming_the_field() -> None:
    hub = foundry_hub(project_rgs=())
    p = project(hub, "nohub")
    del p["properties"]["hubResourceId"]
    findings = scan([*blueprint().rows(), p])
    f = of_rule(findings, "AMLG-120")[0]
    assert f.status is Status.ERROR and "hubResourceId" in f.message


def test_project_of_a_default_workspace_fails_120_only() -> None:
    inst = blueprint()
    inst.projects.append(project(inst, "odd"))
    f = only_flips(inst.rows(), "AMLG-120")
    assert "odd" in f.message and "not of kind Hub" in f.message and "Hub" in str(f.expected)


@pytest.mark.parametrize(
    ("rule_id", "drift"),
    [
        ("AMLG-101", lambda h: h.workspace["properties"].update(publicNetworkAccess="Enabled")),
        ("AMLG-105", lambda h: h.workspace["properties"].pop("primaryUserAssignedIdentity")),
        ("AMLG-107", lambda h: h.workspace["properties"].pop("imageBuildCompute")),
        (
            "AMLG-103",
            lambda h: h.workspace["properties"]["managedNetwork"].update(
                status={"status": "Inactive", "sparkReady": False}
            ),
        ),
    ],
)
def test_a_hub_drift_fails_its_rule_once_on_the_hub(rule_id: str, drift) -> None:
    hub = foundry_hub()
    drift(hub)
    findings = scan(hub.rows())
    if rule_id == "AMLG-105":  # no primary identity: nobody holds the approver role either
        assert set(not_passing(findings)) == {"AMLG-105", "AMLG-106"}
    else:
        f = only_flips(hub.rows(), rule_id)
        assert f.resource_id == hub.workspace["id"]
    assert all(f.instance == hub.workspace["id"] for f in findings)


def test_selector_looks_in_the_projects_resource_groups() -> None:
    hub = foundry_hub()
    ais = row(
        rid(hub.sub, "ai-projects", "Microsoft.CognitiveServices/accounts", "proj-ais"),
        "microsoft.cognitiveservices/accounts",
        properties={"publicNetworkAccess": "Disabled", "customSubDomainName": "proj-ais"},
        kind="AIServices",
    )
    hub.extra.append(ais)
    (inst,) = instances(hub.rows())
    assert ais["id"] in inst.integrated
    f = of_rule(scan(hub.rows()), "AMLG-104")[0]
    assert f.status is Status.FAIL and "proj-ais" in f.message


def test_example_hub_estates_give_their_verdicts() -> None:
    rows = make_examples.foundry_hub_estate()
    all_pass(rows)
    drifted = scan(make_examples.foundry_hub_drifted())
    assert not_passing(drifted) == make_examples.FOUNDRY_DRIFTED_NOT_PASSING
    projects = _project_ids(make_examples.foundry_hub_drifted())
    assert {f.rule_id for f in drifted if ids.norm(f.resource_id) in projects} == {"AMLG-120"}


def test_fix_plan_of_the_hub_estate_never_touches_a_project() -> None:
    pack = load_pack([])
    path = EXAMPLES / "foundry-hub-drifted.json"
    plan = prepare(SnapshotSource([path]), pack, select_rules(pack), ScanOptions(), []).plan
    assert plan.actions, "the drifted hub must plan something"
    projects = _project_ids(make_examples.foundry_hub_drifted())
    for action in plan.actions:
        touched = {ids.norm(c.resource_id) for c in action.changes}
        assert not touched & projects, action
        assert ids.norm(action.instance) not in projects
        assert all(ids.norm(p) not in str(action.body).lower() for p in projects)
    hub_id = ids.norm(make_examples.foundry_hub_drifted()[0]["id"])
    assert any(ids.norm(a.instance) == hub_id for a in plan.actions)
