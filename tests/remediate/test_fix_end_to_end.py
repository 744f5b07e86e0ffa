"""check --fix end to end on the emulator, through the real SDK clients."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from amlguard.errors import RemediationError
from amlguard.scanner import ids
from amlguard.scanner.model import Status
from tests.builders import blueprint, unrelated
from tests.emulator import network
from tests.emulator.server import Emulator, Fault
from tests.make_examples import DRIFTED_FAILING
from tests.remediate.conftest import SettledSource, drifted_rows, fresh_findings, run_fix

LAG = 600.0  # Resource Graph never catches up during the fix: verification must read ARM


def _failing(findings: list) -> set[str]:
    return {f.rule_id for f in findings if f.status is Status.FAIL}


def test_drifted_estate_is_repaired_verified_from_arm_and_rerun_plans_nothing(
    make_clients, tmp_path: Path
) -> None:
    with Emulator(drifted_rows(), arg_lag=LAG) as emu:
        network.install(emu)
        clients = make_clients(emu)
        assert _failing(fresh_findings(emu)) == set(DRIFTED_FAILING)

        prepared, report, text = run_fix(emu, clients, audit_log=tmp_path / "audit.jsonl")
        planned_rules = {r for a in prepared.plan.actions for r in a.rule_ids}
        manual_rules = {m.rule_id for m in prepared.plan.manual}
        assert planned_rules == {
            "AMLG-101",
            "AMLG-103",
            "AMLG-104",
            "AMLG-106",
            "AMLG-201",
        }  # AMLG-222 waits (manual): the registry's DNS zone does not resolve in the VNet
        assert "AMLG-222" in manual_rules
        assert report.exit_code == 0, text
        assert all(o.status == "done" for o in report.outcomes.values())
        assert all(report.verified.values()) and not report.remaining
        assert {f.rule_id for f in report.fixed} == planned_rules
        # Verified from ARM while Resource Graph still shows the old state.
        ws_id = prepared.result.instances[0].id
        arg_ws = next(r for r in emu.arg_rows() if ids.norm(r["id"]) == ids.norm(ws_id))
        assert arg_ws["properties"]["publicNetworkAccess"] == "Enabled"

        after = _failing(fresh_findings(emu, settled=True))
        assert after.isdisjoint(planned_rules)
        assert after <= manual_rules  # only manual ones remain

        writes_before = len(emu.writes())
        emu.arg_lag = 0
        emu.load(list(SettledSource(emu).collect(None).rows))  # Resource Graph caught up
        prepared2, report2, _ = run_fix(emu, clients)
        assert prepared2.plan.empty and report2.exit_code == 0
        assert len(emu.writes()) == writes_before

        lines = [json.loads(x) for x in (tmp_path / "audit.jsonl").read_text().splitlines()]
        assert len(lines) == len(prepared.plan.actions)
        assert {x["outcome"] for x in lines} == {"done"}
        assert all({"time", "request", "target", "outcome"} <= set(x) for x in lines)
        assert "emulator-token" not in (tmp_path / "audit.jsonl").read_text()


def test_dry_run_makes_zero_writes(fix_emu, make_clients, tmp_path: Path) -> None:
    emu, _ = fix_emu
    emu.load(drifted_rows())
    prepared, report, text = run_fix(
        emu, make_clients(emu), dry_run=True, plan_out=tmp_path / "p.json"
    )
    assert not prepared.plan.empty
    assert emu.writes() == []
    assert "nothing was changed" in text
    assert report.exit_code == 1  # failures remain
    assert json.loads((tmp_path / "p.json").read_text())["actions"]


def _endpoint_estate() -> list[dict]:
    """Storage lost its file endpoint and both it and the key vault are public again."""
    inst = blueprint()
    inst.remove_endpoint("storage-file")
    inst.storage["properties"]["publicNetworkAccess"] = "Enabled"
    inst.keyvault["properties"]["publicNetworkAccess"] = "Enabled"
    inst.workspace["properties"]["managedNetwork"]["status"] = {
        "status": "Inactive",
        "sparkReady": False,
    }
    return inst.rows() + unrelated(inst.sub, "other-rg", 5)


def test_failure_skips_dependents_finishes_the_rest_and_a_rerun_completes(
    fix_emu, make_clients, tmp_path: Path
) -> None:
    audit = tmp_path / "audit.jsonl"
    emu, _ = fix_emu
    emu.load(_endpoint_estate())
    clients = make_clients(emu)
    fault = emu.add_fault(
        Fault(
            "PUT",
            r"privateEndpoints/[^/]*-pe-file$",
            status=400,
            body={"error": {"code": "SubnetIsFull", "message": "no address left"}},
        )
    )
    prepared, report, _text = run_fix(emu, clients, audit_log=audit)
    ops = {a.id: a for a in prepared.plan.actions}
    status = {
        ops[i].operation + ":" + ids.parse(ops[i].target).name: o
        for i, o in report.outcomes.items()
    }
    pe = next(v for k, v in status.items() if k.startswith("create-private-endpoint"))
    assert pe.status == "failed" and pe.code == "SubnetIsFull" and "no address left" in pe.message
    assert (
        next(v for k, v in status.items() if k.startswith("create-dns-zone-group")).status
        == "skipped"
    )
    assert status["disable-public-network-access:blueprintst"].status == "skipped"
    assert status["provision-managed-network:blueprint-mlw"].status == "skipped"
    assert status["disable-public-network-access:blueprint-kv"].status == "done"
    assert report.exit_code == 1
    assert fault.times == 0
    (failed_line,) = [json.loads(x) for x in audit.read_text().splitlines() if '"failed"' in x]
    assert failed_line["error"] == {"code": "SubnetIsFull", "message": "no address left"}
    assert failed_line["request"]["method"] == "PUT"

    prepared2, report2, text2 = run_fix(emu, clients)
    assert {a.operation for a in prepared2.plan.actions} == {
        "create-private-endpoint",
        "create-dns-zone-group",
        "disable-public-network-access",
        "provision-managed-network",
    }
    assert report2.exit_code == 0, text2
    # Nothing outside the instance was touched (the unrelated public storage stays public).
    members = prepared.result.instances[0].members()
    for req in emu.writes():
        path = ids.norm(req.path)
        assert "other-rg" not in path
        assert (
            any(path.startswith(m) for m in members)
            or "/providers/microsoft.network/privateendpoints/" in path
        ), path


def test_api_errors_exit_3(fix_emu, make_clients) -> None:
    emu, _ = fix_emu
    emu.load(_endpoint_estate())
    emu.add_fault(Fault("PATCH", r"vaults/", status=503, times=5))
    _, report, _ = run_fix(emu, make_clients(emu), only=("AMLG-211",))
    assert [o.status for o in report.outcomes.values()] == ["failed"]
    assert report.exit_code == 3


def test_missing_permission_stops_before_any_write(fix_emu, make_clients) -> None:
    emu, authz = fix_emu
    emu.load(drifted_rows())
    rg = "/subscriptions/8f1c2a6e-3b4d-4e5f-9a0b-1c2d3e4f5a6b/resourceGroups/ml-secure-blueprint"
    authz.deny(rg, "Microsoft.Authorization/roleAssignments/write")
    with pytest.raises(RemediationError) as err:
        run_fix(emu, make_clients(emu))
    assert "Microsoft.Authorization/roleAssignments/write on " + rg in str(err.value)
    assert emu.writes() == []
    assert emu.requests("GET", "Microsoft.Authorization/permissions")
