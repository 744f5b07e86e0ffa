"""AMLG-107 on a hub (real-estates 4.2/4.6): the fix names a compute instance, never a cluster
(``image_build_compute_by_kind``), in the finding's command and in the --fix plan."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from amlguard.errors import InputError
from amlguard.remediate.fix import prepare
from amlguard.remediate.live import LiveView
from amlguard.remediate.plan import document_digest, load_plan
from amlguard.remediate.ruleparams import rule_parameters
from amlguard.remediate.verify import rebuild_plan
from amlguard.scanner import ids
from amlguard.scanner.rules import load_pack
from amlguard.scanner.scan import ScanOptions, select_rules
from amlguard.scanner.sources.snapshot import SnapshotSource
from tests.builders import blueprint, compute, foundry_hub
from tests.scanner.harness import of_rule, scan


def _hub_without_image_build():
    hub = foundry_hub()
    del hub.workspace["properties"]["imageBuildCompute"]
    return hub


def _prepare(tmp_path: Path, rows: list[dict], state: list[dict], **options: Any):
    snap = tmp_path / "estate.json"
    snap.write_text(json.dumps(rows), encoding="utf-8")
    by_id = {ids.norm(r["id"]): r for r in state}
    pack = load_pack([])
    return prepare(
        SnapshotSource([snap]),
        pack,
        select_rules(pack, rule_ids=("AMLG-107",)),
        ScanOptions(**options),
        [],
        lambda rid: by_id.get(ids.norm(rid)),
    ).plan


def test_finding_on_a_hub_names_the_compute_instance() -> None:
    hub = _hub_without_image_build()
    (f,) = of_rule(scan(hub.rows()), "AMLG-107")
    assert f.status.value == "fail"
    assert "--image-build-compute ci-image-build" in f.remediation
    assert "cpu-compute" not in f.remediation


def test_finding_on_a_default_workspace_keeps_compute_name() -> None:
    inst = blueprint()
    del inst.workspace["properties"]["imageBuildCompute"]
    (f,) = [x for x in of_rule(scan(inst.rows()), "AMLG-107") if x.status.value == "fail"]
    assert "--image-build-compute cpu-compute" in f.remediation


def test_kind_entry_is_configurable_and_case_insensitive() -> None:
    hub = _hub_without_image_build()
    params = {"AMLG-107": {"image_build_compute_by_kind": {"hub": "my-ci"}}}
    (f,) = of_rule(scan(hub.rows(), parameters=params), "AMLG-107")
    assert "--image-build-compute my-ci" in f.remediation


def test_hub_plan_sets_the_compute_instance(tmp_path: Path) -> None:
    hub = _hub_without_image_build()
    ci = compute(hub, "ci-image-build", "ComputeInstance")
    cluster = compute(hub, "cpu-compute", "AmlCompute")
    plan = _prepare(tmp_path, hub.rows(), [*hub.rows(), ci, cluster])
    (action,) = plan.actions
    (change,) = action.changes
    assert change.after == "ci-image-build" and ids.norm(action.target) == ids.norm(
        hub.workspace["id"]
    )
    for project in hub.projects:
        assert all(ids.norm(a.target) != ids.norm(project["id"]) for a in plan.actions)


def test_hub_plan_never_names_a_cluster(tmp_path: Path) -> None:
    hub = _hub_without_image_build()
    cluster = compute(hub, "ci-image-build", "AmlCompute")  # a cluster under the instance's name
    plan = _prepare(tmp_path, hub.rows(), [*hub.rows(), cluster])
    assert not plan.actions
    (step,) = plan.manual
    assert "not a compute instance" in step.reason and "ci-image-build" in step.reason


def test_hub_plan_without_the_instance_is_manual(tmp_path: Path) -> None:
    hub = _hub_without_image_build()
    cluster = compute(hub, "cpu-compute", "AmlCompute")
    plan = _prepare(tmp_path, hub.rows(), [*hub.rows(), cluster])
    assert not plan.actions
    (step,) = plan.manual
    assert "ci-image-build does not exist" in step.reason
    assert "cpu-compute" not in step.command


def test_rebuild_refuses_a_cluster_swapped_in_after_planning(tmp_path: Path) -> None:
    hub = _hub_without_image_build()
    ci = compute(hub, "ci-image-build", "ComputeInstance")
    state = [*hub.rows(), ci]
    doc = _prepare(tmp_path, hub.rows(), state).to_dict()
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    params = rule_parameters()
    live = {ids.norm(r["id"]): r for r in state}

    def read(rid: str, api_version: str | None = None) -> dict[str, Any] | None:
        return live.get(ids.norm(rid))

    assert rebuild_plan(load_plan(path), LiveView(read, params)).actions
    live[ids.norm(ci["id"])] = compute(hub, "ci-image-build", "AmlCompute")
    doc["digest"] = document_digest(doc)
    with pytest.raises(InputError, match="not a compute instance"):
        rebuild_plan(load_plan(path), LiveView(read, params))
