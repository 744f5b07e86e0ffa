"""What a plan never holds (real-estates 4.6): a write on a project workspace, or a
managed-network write (outbound rules, provisioning, approver roles) for a customer-VNet
workspace, whichever rule or remediator asks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from amlguard.remediate import catalog, safety
from amlguard.remediate.fix import prepare
from amlguard.remediate.remediators.workspace import InstanceRef, public_access_action
from amlguard.scanner.inventory import Inventory
from amlguard.scanner.rules import load_pack
from amlguard.scanner.scan import ScanOptions, select_rules
from amlguard.scanner.sources.snapshot import SnapshotSource
from tests.builders import blueprint, customer_vnet, foundry_hub
from tests.scanner.harness import instances

MANAGED_NETWORK = ("outbound-rules", "managed-network-provision", "approver-role")


def test_an_action_on_a_project_is_dropped_with_a_warning() -> None:
    hub = foundry_hub()
    inv = Inventory(hub.rows())
    project = hub.projects[0]["id"]
    on_project = public_access_action(InstanceRef(project), "Enabled", ["AMLG-101"], "x")
    on_hub = public_access_action(InstanceRef(hub.workspace["id"]), "Enabled", ["AMLG-101"], "x")
    kept, warnings = safety.without_project_writes([on_project, on_hub], inv)
    assert kept == [on_hub]
    assert len(warnings) == 1 and "project workspace" in warnings[0]


def test_a_child_of_a_project_counts_as_the_project() -> None:
    hub = foundry_hub()
    inv = Inventory(hub.rows())
    child = hub.projects[1]["id"].upper() + "/outboundRules/x"  # any casing
    assert safety._under_project(child, inv)
    assert not safety._under_project(hub.workspace["id"] + "/outboundRules/x", inv)


@pytest.mark.parametrize("name", MANAGED_NETWORK)
def test_managed_network_remediators_refuse_a_customer_vnet_workspace(name: str) -> None:
    (inst,) = instances(customer_vnet(blueprint()).rows(), network_isolation="custom")
    assert inst.custom_vnet
    assert safety.refusal(catalog.get(name), inst) == safety.CUSTOM_VNET_REFUSAL
    (managed,) = instances(blueprint().rows())
    assert safety.refusal(catalog.get(name), managed) is None


def test_endpoint_fixes_are_still_planned_for_a_customer_vnet_workspace() -> None:
    (inst,) = instances(customer_vnet(blueprint()).rows(), network_isolation="custom")
    assert safety.refusal(catalog.get("private-endpoint"), inst) is None


def test_drifted_customer_vnet_plan_has_no_managed_network_write(tmp_path: Path) -> None:
    inst = customer_vnet(blueprint())
    inst.workspace["properties"]["publicNetworkAccess"] = "Enabled"
    inst.role_assignments = []
    path = tmp_path / "estate.json"
    path.write_text(json.dumps(inst.rows()), encoding="utf-8")
    pack = load_pack([])
    options = ScanOptions(network_isolation="custom")
    plan = prepare(SnapshotSource([path]), pack, select_rules(pack), options, []).plan
    assert plan.actions, "public access is still fixed"
    assert not [a for a in plan.actions if a.remediator in MANAGED_NETWORK]
