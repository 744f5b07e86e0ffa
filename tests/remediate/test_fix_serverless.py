"""AMLG-113's fix: a customer-VNet workspace's serverless compute moves into a subnet of the
solution VNet without public IPs by one workspace PATCH (planned, shown, applied through the
real SDK clients against the emulator, verified from ARM), only when the subnet is known; else
a manual step that says why. Judging 113 live equals the snapshot."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from amlguard.remediate.interface import PlanContext
from amlguard.remediate.live import LiveView, Tampered
from amlguard.remediate.plan import PHASES, SERIAL_OPERATIONS
from amlguard.remediate.remediators.serverless import (
    NO_PUBLIC_IP,
    OPERATION,
    SUBNET,
    WorkspaceServerlessCompute,
    choose_subnet,
)
from amlguard.scanner import ids
from amlguard.scanner.inventory import Inventory
from amlguard.scanner.model import Finding, Severity, Status
from amlguard.scanner.rules import load_pack
from amlguard.scanner.sources.snapshot import SnapshotSource
from tests.builders import Instance, compute
from tests.builders_rules3 import custom_vnet_private, other_subnet, serverless
from tests.emulator import arg, network
from tests.emulator.live import findings, scan, source
from tests.emulator.server import Emulator
from tests.remediate.conftest import SettledSource, run_fix
from tests.scanner.harness import instances

LAG = 600.0  # Resource Graph never catches up: verification reads ARM
RULE = "AMLG-113"


def _custom(inst: Instance) -> Instance:
    inst.workspace.setdefault("tags", {})["amlguard-network-isolation"] = "custom"
    return inst


def _status(found: list[Any]) -> list[str]:
    return [f.status.value for f in found if f.rule_id == RULE]


def test_plan_phase_and_serialisation() -> None:
    assert PHASES[OPERATION] == PHASES["update-workspace-settings"]
    assert OPERATION in SERIAL_OPERATIONS


def test_fix_sets_the_compute_subnet_without_public_ip_and_a_rerun_plans_nothing(
    make_clients: Any,
) -> None:
    inst = _custom(custom_vnet_private())
    with Emulator(inst.rows(), arg_lag=LAG) as emu:
        network.install(emu)
        clients = make_clients(emu)
        prepared, report, text = run_fix(emu, clients, only=(RULE,))
        patches = [w for w in emu.writes() if w.method == "PATCH"]
        ws = emu.get(inst.workspace["id"]) or {}
        writes = len(emu.writes())
        emu.arg_lag = 0
        emu.load(list(SettledSource(emu).collect(None).rows))
        again, _, _ = run_fix(emu, clients, only=(RULE,))
        assert len(emu.writes()) == writes
    assert report.exit_code == 0, text
    (action,) = prepared.plan.actions
    assert action.operation == OPERATION and ids.norm(action.target) == ids.norm(
        inst.workspace["id"]
    )
    (patch,) = patches
    assert ids.norm(patch.path) == ids.norm(inst.workspace["id"])
    assert patch.body == {
        "properties": {
            "serverlessComputeSettings": {
                "serverlessComputeCustomSubnet": inst.subnet_id,
                "serverlessComputeNoPublicIP": True,
            }
        }
    }
    settings = ws["properties"]["serverlessComputeSettings"]
    assert settings["serverlessComputeNoPublicIP"] is True
    assert "networkAcls" not in json.dumps(patch.body)  # only what it changes
    assert [f for f in report.fixed if f.rule_id == RULE]
    assert "serverless" in text.lower()
    assert not again.plan.actions


def test_several_compute_subnets_leave_it_manual_naming_them(make_clients: Any) -> None:
    inst = _custom(custom_vnet_private())
    second = f"{inst.vnet['id']}/subnets/snet-compute"
    inst.extra.append(compute(inst, "gpu-cluster"))
    inst.extra[-1]["properties"]["properties"]["subnet"] = {"id": second}
    with Emulator(inst.rows(), arg_lag=LAG) as emu:
        network.install(emu)
        prepared, _report, _text = run_fix(emu, make_clients(emu), only=(RULE,))
        assert not [w for w in emu.writes() if w.method == "PATCH"]
    assert not prepared.plan.actions
    (step,) = [m for m in prepared.plan.manual if m.rule_id == RULE]
    assert "2 subnets" in step.reason and "snet-compute" in step.reason
    assert "fix_subnet" in step.reason


def _ctx(inst: Instance, parameters: dict[str, Any] | None = None) -> tuple[PlanContext, Any]:
    rows = inst.rows()
    (built,) = instances(rows)
    rules = {r.id: r for r in load_pack().rules}
    return PlanContext(Inventory(rows), {ids.norm(built.id): built}, rules, parameters or {}), built


def test_a_configured_subnet_outside_the_solution_vnet_is_refused() -> None:
    inst = _custom(custom_vnet_private())
    elsewhere = other_subnet(inst)
    ctx, built = _ctx(inst, {RULE: {"fix_subnet": elsewhere}})
    subnet, why = choose_subnet(ctx, built, RULE)
    assert subnet is None and "not a subnet of the solution VNet" in why


def test_a_configured_subnet_in_the_solution_vnet_wins() -> None:
    inst = _custom(custom_vnet_private())
    wanted = f"{inst.vnet['id']}/subnets/snet-serverless"
    ctx, built = _ctx(inst, {RULE: {"fix_subnet": wanted}})
    assert choose_subnet(ctx, built, RULE) == (wanted, "")


def test_the_current_subnet_is_kept_when_it_is_in_the_solution_vnet() -> None:
    inst = _custom(custom_vnet_private())
    current = f"{inst.vnet['id'].upper()}/subnets/snet-serverless"
    serverless(inst, current, False)
    ctx, built = _ctx(inst)
    assert choose_subnet(ctx, built, RULE) == (current, "")
    proposal = WorkspaceServerlessCompute().plan([_finding(inst)], ctx)
    (action,) = proposal.actions
    assert [c.path for c in action.changes] == [NO_PUBLIC_IP]  # the subnet is not rewritten


def test_no_computes_falls_back_to_the_solution_subnet() -> None:
    inst = _custom(custom_vnet_private())
    inst.extra = [r for r in inst.extra if "/computes/" not in r["id"]]
    serverless(inst, other_subnet(inst), True)
    ctx, built = _ctx(inst)
    subnet, _ = choose_subnet(ctx, built, RULE)
    assert subnet is not None and ids.norm(subnet) == ids.norm(built.solution_subnet)
    (action,) = WorkspaceServerlessCompute().plan([_finding(inst)], ctx).actions
    assert [c.path for c in action.changes] == [SUBNET]


def _finding(inst: Instance) -> Any:
    wid = inst.workspace["id"]
    return Finding(RULE, "serverless-compute-private", Severity.MEDIUM, Status.FAIL, wid,
                   "microsoft.machinelearningservices/workspaces", wid, "m")  # fmt: skip


def test_a_resource_other_than_the_workspace_is_never_planned() -> None:
    inst = _custom(custom_vnet_private())
    ctx, _built = _ctx(inst)
    stray = dataclasses.replace(_finding(inst), resource_id=inst.storage["id"])
    assert not WorkspaceServerlessCompute().plan([stray], ctx).actions


def test_113_live_equals_snapshot(tmp_path: Path) -> None:
    good = _custom(custom_vnet_private())
    serverless(good, good.subnet_id, True)
    bad = _custom(custom_vnet_private())
    serverless(bad, other_subnet(bad), False)
    for inst, wanted in ((good, ["pass"]), (bad, ["fail"])):
        rows = inst.rows()
        with Emulator(rows) as emu:
            arg.install(emu)
            live = scan(source(emu))
        snap = tmp_path / "estate.json"
        snap.write_text(json.dumps(rows), encoding="utf-8")
        offline = scan(SnapshotSource([snap]))
        assert _status(live.findings) == wanted
        assert findings(live) == findings(offline)


def test_a_saved_plan_is_rebuilt_from_arm_and_a_moved_subnet_is_refused(make_clients: Any) -> None:
    inst = _custom(custom_vnet_private())
    with Emulator(inst.rows(), arg_lag=LAG) as emu:
        network.install(emu)
        clients = make_clients(emu)
        prepared, _report, _text = run_fix(emu, clients, only=(RULE,), dry_run=True)
        (action,) = prepared.plan.actions
        live = LiveView(clients.get, {RULE: {"fix_subnet": ""}})
        built = WorkspaceServerlessCompute().rebuild(action, live)
        assert (built.body, built.changes) == (action.body, action.changes)
        elsewhere = other_subnet(inst)
        moved = dataclasses.replace(
            action,
            params={"subnet": elsewhere},
            body={"properties": {"serverlessComputeSettings": {
                "serverlessComputeCustomSubnet": elsewhere,
                "serverlessComputeNoPublicIP": True}}},
        )  # fmt: skip
        with pytest.raises(Tampered):
            WorkspaceServerlessCompute().rebuild(moved, live)
        ghost = f"{inst.vnet['id']}/subnets/snet-ghost"
        with pytest.raises(Tampered, match="does not exist"):
            WorkspaceServerlessCompute().rebuild(
                dataclasses.replace(action, params={"subnet": ghost}), live
            )
        other_op = dataclasses.replace(action, operation="update-workspace-settings")
        with pytest.raises(Tampered):
            WorkspaceServerlessCompute().rebuild(other_op, live)
        assert not [w for w in emu.writes() if w.method == "PATCH"]  # dry run
