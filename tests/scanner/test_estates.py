"""Whole estates: the example files, several instances, and resources no workspace uses."""

from __future__ import annotations

import json
from collections import defaultdict

import pytest

from amlguard.scanner.model import Status
from tests.builders import blueprint, role_assignment, unrelated
from tests.conftest import EXAMPLES
from tests.make_examples import (
    DRIFTED_FAILING,
    ESTATES,
    SUB_A,
    compliant,
    drifted,
    multi_workspace,
    render,
)
from tests.scanner.harness import all_pass, failing, not_passing, scan


@pytest.mark.parametrize("name", sorted(ESTATES))
def test_committed_examples_equal_the_builders(name: str) -> None:
    committed = (EXAMPLES / name).read_text(encoding="utf-8")
    assert committed == render(ESTATES[name]()), (
        f"examples/estates/{name} is stale: run python -m tests.make_examples"
    )


def test_committed_compliant_example_passes_everything() -> None:
    rows = json.loads((EXAMPLES / "compliant.json").read_text(encoding="utf-8"))["data"]
    all_pass(rows)


def test_compliant_passes_everything() -> None:
    findings = all_pass(compliant())
    assert len({f.instance for f in findings}) == 1


def test_drifted_fails_exactly_the_expected_rules() -> None:
    findings = scan(drifted())
    assert sorted(failing(findings)) == sorted(DRIFTED_FAILING)
    # No rule could not be judged; the only non-failing non-pass is AMLG-107's skip (both the
    # workspace and its registry went public, so the service builds images itself).
    assert {r: s for r, s in not_passing(findings).items() if s != {"fail"}} == {
        "AMLG-107": {"skipped"}
    }


def test_multi_workspace_per_instance_results() -> None:
    findings = scan(multi_workspace())
    per: dict[str, set[str]] = defaultdict(set)
    for f in findings:
        assert f.status in (Status.PASS, Status.FAIL), f
        if f.status is Status.FAIL:
            per[f.instance.rsplit("/", 1)[-1]].add(f.rule_id)
    assert dict(per) == {
        "mlresearch-mlw": {"AMLG-102", "AMLG-105", "AMLG-106"},
        "mlemea-mlw": {"AMLG-221", "AMLG-223"},
    }
    assert len({f.instance for f in findings}) == 3
    # Each instance judges its own resources only.
    for f in findings:
        ws_rg = f.instance.split("/")[4].lower()
        assert f.resource_id.split("/")[4].lower() == ws_rg, f


def test_the_approver_role_of_someone_else_counts_for_nobody() -> None:
    findings = scan(multi_workspace())
    research = [f for f in findings if f.rule_id == "AMLG-106" and "mlresearch" in f.instance]
    assert research[0].status is Status.FAIL


def test_unrelated_resources_give_no_findings() -> None:
    inst = blueprint()
    noise = unrelated(inst.sub, "shared", 25) + unrelated(inst.sub, inst.rg, 10, prefix="local")
    alone = scan(inst.rows())
    together = scan(inst.rows() + noise)
    assert together == alone
    noise_ids = {r["id"].lower() for r in noise}
    assert not any(f.resource_id.lower() in noise_ids for f in together)


def test_estate_without_workspaces_gives_no_findings() -> None:
    rows = unrelated("00000000-0000-0000-0000-000000000009", "rg", 15)
    rows.append(role_assignment(f"/subscriptions/{SUB_A}", "someone"))
    assert scan(rows) == []


def test_public_storage_account_no_workspace_uses_is_not_judged() -> None:
    inst = blueprint()
    public = unrelated(inst.sub, inst.rg, 1, prefix="public")[0]
    assert public["type"] == "microsoft.storage/storageaccounts"
    assert public["properties"]["publicNetworkAccess"] == "Enabled"
    findings = all_pass([*inst.rows(), public])
    assert public["id"] not in {f.resource_id for f in findings}


def test_shared_resource_is_judged_once_per_instance() -> None:
    a = blueprint(prefix="a", rg="rg-a")
    b = blueprint(prefix="b", rg="rg-b")
    # Workspace b uses workspace a's key vault (and b's identity is granted on rg-a too).
    b.workspace["properties"]["keyVault"] = a.keyvault["id"]
    b.role_assignments.append(
        role_assignment(f"/subscriptions/{a.sub}/resourceGroups/rg-a", b.principal_id)
    )
    a.keyvault["properties"]["publicNetworkAccess"] = "Enabled"
    findings = scan(a.rows() + [r for r in b.rows() if r["id"] != b.keyvault["id"]])
    kv = [f for f in findings if f.rule_id == "AMLG-211"]
    assert {(f.instance, f.status) for f in kv} == {
        (a.workspace["id"], Status.FAIL),
        (b.workspace["id"], Status.FAIL),
    }
