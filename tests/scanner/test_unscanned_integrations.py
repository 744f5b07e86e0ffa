"""An integrated resource the scan does not hold (redteam10 #4): AMLG-104 and AMLG-106 say
``error`` "not in the scanned inventory", as AMLG-231..240 do, never ``fail``; an assignment
already read that covers it still passes AMLG-106; and ``--fix`` plans no role assignment (nor
outbound rule) for it. Live (emulator) and snapshot agree."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from amlguard.cli import cli
from amlguard.scanner.model import Status
from tests.builders import Instance, blueprint, role_assignment, row
from tests.builders_fix10rules import OTHER_SUB, aoai_connection, shared_aoai_id
from tests.builders_integrations import outbound_rule
from tests.emulator import arg
from tests.emulator.server import Emulator
from tests.scanner.harness import of_rule, scan

TOKEN = "eyJhbGciOi.not-a-real-token.c2lnbmF0dXJl"
RULES = ["AMLG-104", "AMLG-106"]
SHARED_RG = f"/subscriptions/{OTHER_SUB}/resourceGroups/rg-ai-shared"


def _estate(*, in_scan: bool, granted: bool, rule: bool) -> Instance:
    inst = blueprint()
    target = shared_aoai_id()
    aoai_connection(inst, target)
    account = row(
        target,
        "microsoft.cognitiveservices/accounts",
        inst.workspace["location"],
        {"publicNetworkAccess": "Disabled"},
        kind="OpenAI",
        sku={"name": "S0"},
    )
    if in_scan:
        inst.extra.append(account)
    if granted:
        inst.role_assignments.append(role_assignment(SHARED_RG, inst.principal_id))
    if rule:
        outbound_rule(inst, "aoai", account, "account")
    return inst


def _statuses(inst: Instance) -> dict[str, tuple[Status, str]]:
    found = scan(inst.rows(), rule_ids=RULES)
    return {r: (f.status, f.message) for r in RULES for f in of_rule(found, r)}


def test_unscanned_target_is_error_not_fail() -> None:
    got = _statuses(_estate(in_scan=False, granted=False, rule=False))
    for rule_id in RULES:
        status, message = got[rule_id]
        assert status is Status.ERROR, (rule_id, message)
        assert "aoai-shared is not in the scanned inventory" in message


def test_a_rule_to_it_passes_104_and_an_assignment_read_passes_106() -> None:
    got = _statuses(_estate(in_scan=False, granted=False, rule=True))
    assert got["AMLG-104"][0] is Status.PASS
    assert got["AMLG-106"][0] is Status.ERROR
    got = _statuses(_estate(in_scan=False, granted=True, rule=True))
    assert got["AMLG-106"][0] is Status.PASS  # an assignment already read covers it


@pytest.mark.parametrize(("granted", "rule"), [(False, False), (True, True)])
def test_a_scanned_target_is_judged(granted: bool, rule: bool) -> None:
    got = _statuses(_estate(in_scan=True, granted=granted, rule=rule))
    expected = Status.PASS if granted else Status.FAIL
    assert got["AMLG-106"][0] is expected
    assert got["AMLG-104"][0] is (Status.PASS if rule else Status.FAIL)


def _dry_run(inst: Instance, tmp: Path) -> Any:
    snap = tmp / "estate.json"
    snap.write_text(json.dumps(inst.rows()))
    args = ["check", "--snapshot", str(snap), "--fix", "--dry-run"]
    return CliRunner().invoke(cli, [*args, "--rule", "AMLG-106", "--rule", "AMLG-104"])


def test_fix_writes_nothing_into_an_unread_subscription(tmp_path: Path) -> None:
    out = _dry_run(_estate(in_scan=False, granted=False, rule=False), tmp_path)
    assert out.exit_code == 3, out.output
    assert "Plan:" not in out.output and "PUT" not in out.output
    # the control: the same account read by the scan, no grant: the fix plans the grant
    out = _dry_run(_estate(in_scan=True, granted=False, rule=True), tmp_path)
    assert f"PUT {SHARED_RG}/providers/Microsoft.Authorization/roleAssignments/" in out.output


@pytest.mark.parametrize("in_scan", [False, True])
def test_live_and_snapshot_judge_alike(
    in_scan: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AMLGUARD_ACCESS_TOKEN", TOKEN)
    rows = _estate(in_scan=in_scan, granted=False, rule=True).rows()
    snap = tmp_path / "estate.json"
    snap.write_text(json.dumps(rows))
    only = ["--rule", "AMLG-106", "--format", "json"]
    runner = CliRunner()
    with Emulator(rows) as emu:
        arg.install(emu)
        live_args = ["--arm-endpoint", emu.url, "--ca-bundle", emu.ca_path, "--quiet"]
        live = runner.invoke(cli, ["check", *only, *live_args])
    offline = runner.invoke(cli, ["check", *only, "--snapshot", str(snap)])
    assert live.exit_code == offline.exit_code == (1 if in_scan else 3), live.output

    def verdict(out: str) -> list[str]:
        return [f["status"] for f in json.loads(out)["findings"] if f["rule_id"] == "AMLG-106"]

    assert verdict(live.stdout) == verdict(offline.stdout) == ["fail" if in_scan else "error"]


@pytest.mark.parametrize("remediator", ["approver-role", "outbound-rules"])
def test_planners_refuse_a_target_the_scan_lacks(remediator: str) -> None:
    """Defence in depth: a failing finding naming a resource the planning scan does not hold
    (a stale or hand-made plan input) gives a manual step, never a write."""
    from amlguard.remediate.interface import PlanContext
    from amlguard.remediate.remediators.outbound import OutboundRules
    from amlguard.remediate.remediators.roles import ApproverRole
    from amlguard.scanner import ids
    from amlguard.scanner.inventory import Inventory
    from tests.scanner.harness import instances, pack

    scanned = _estate(in_scan=True, granted=False, rule=False)
    rule_id = "AMLG-106" if remediator == "approver-role" else "AMLG-104"
    (finding,) = [f for f in of_rule(scan(scanned.rows(), rule_ids=[rule_id]), rule_id)]
    assert finding.status is Status.FAIL
    rows = _estate(in_scan=False, granted=False, rule=False).rows()
    (built,) = instances(rows)
    rules = {r.id: r for r in pack().rules}
    ctx = PlanContext(Inventory(rows), {ids.norm(built.id): built}, rules, {})
    impl = ApproverRole() if remediator == "approver-role" else OutboundRules()
    proposal = impl.plan([finding], ctx)
    assert not [a for a in proposal.actions if OTHER_SUB in a.target or "aoai" in a.target]
    assert any("not in the scanned inventory" in m.reason for m in proposal.manual)


def test_an_unscanned_target_never_hides_a_definite_failure(tmp_path: Path) -> None:
    inst = _estate(in_scan=False, granted=False, rule=False)
    inst.role_assignments.clear()  # the blueprint's own resource group loses its grant too
    inst.workspace["properties"]["managedNetwork"]["outboundRules"].pop("aoai", None)
    found = scan(inst.rows(), rule_ids=RULES)
    (f106,) = of_rule(found, "AMLG-106")
    assert f106.status is Status.FAIL, f106.message
    assert f106.offenders and not any("aoai-shared" in str(o) for o in f106.offenders)
    out = _dry_run(inst, tmp_path)
    puts = [ln for ln in out.output.splitlines() if ln.strip().startswith("PUT")]
    assert any("roleAssignments" in ln for ln in puts), out.output
    assert not any(OTHER_SUB in ln for ln in puts)
