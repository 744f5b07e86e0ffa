"""Issue 13 rules AMLG-110, 111, 114, 203 and 204: a passing and a failing estate per rule from
the builders, judged in-process, live (emulator, real SDK clients) and from a snapshot."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from amlguard.cli import cli
from amlguard.scanner.model import Severity, Status
from tests.builders import Instance, blueprint, compute
from tests.builders_rules_a import (
    approved_only,
    batch_endpoint,
    datastore,
    extra_storage,
    fqdn_rule,
    integrate,
    service_tag_rule,
    storage_rules,
)
from tests.emulator import arg
from tests.emulator.server import Emulator
from tests.scanner.harness import all_pass, of_rule, scan

TOKEN = "eyJhbGciOi.not-a-real-token.c2lnbmF0dXJl"
MINE = ("AMLG-110", "AMLG-111", "AMLG-114", "AMLG-203", "AMLG-204")


def _fails(rows: list[dict[str, Any]], rule_id: str) -> list[Any]:
    return [f for f in of_rule(scan(rows, rule_ids=[rule_id]), rule_id) if f.status is Status.FAIL]


# ---------------------------------------------------------------- AMLG-110


@pytest.mark.parametrize(
    "destination",
    [
        "*",
        "*.*",
        "*.com",
        "*.blob.core.windows.net",
        "*.windows.net",
        "*.queue.core.windows.net",
        "X*.DFS.core.windows.net.",
    ],
)
def test_110_broad_fqdn_fails_high(destination: str) -> None:
    inst = approved_only(blueprint())
    fqdn_rule(inst, "allow-broad", destination)
    (fail,) = _fails(inst.rows(), "AMLG-110")
    assert fail.severity is Severity.HIGH and "allow-broad" in fail.message


@pytest.mark.parametrize("destination", ["pypi.org", "*.pypi.org", "*.openai.azure.com"])
def test_110_narrow_fqdn_passes(destination: str) -> None:
    inst = approved_only(blueprint())
    fqdn_rule(inst, "allow-pypi", destination)
    all_pass(inst.rows())


def test_110_global_tag_is_high_and_regional_storage_medium() -> None:
    inst = approved_only(blueprint())
    service_tag_rule(inst, "regional", "Storage.WestEurope")
    (fail,) = _fails(inst.rows(), "AMLG-110")
    assert fail.severity is Severity.MEDIUM and "regional" in fail.message
    service_tag_rule(inst, "global", "storage")
    (fail,) = _fails(inst.rows(), "AMLG-110")
    assert fail.severity is Severity.HIGH and fail.offenders and len(fail.offenders) == 2


def test_110_only_judges_approved_outbound_whatever_the_category() -> None:
    inst = blueprint()  # AllowInternetOutbound: FQDN rules are moot there
    fqdn_rule(inst, "everything", "*")
    assert not _fails(inst.rows(), "AMLG-110")
    inst = approved_only(blueprint())
    # category is client-writable (redteam10 #6): a service label exempts nothing
    fqdn_rule(inst, "service-made", "*", category="Required")
    (fail,) = _fails(inst.rows(), "AMLG-110")
    assert "labelled Required" in fail.message


def test_110_never_plans_a_write() -> None:
    from amlguard.scanner.rules import load_pack

    assert load_pack().get("AMLG-110").remediation.remediator is None  # type: ignore[union-attr]


# ---------------------------------------------------------------- AMLG-111


def test_111_batch_endpoint_without_queue_and_table_rules_fails() -> None:
    inst = blueprint()
    batch_endpoint(inst)
    (fail,) = _fails(inst.rows(), "AMLG-111")
    assert fail.offenders == (inst.storage["id"],)
    storage_rules(inst, ("queue",))
    assert _fails(inst.rows(), "AMLG-111")
    storage_rules(inst)
    all_pass(inst.rows())


def test_111_inactive_rule_fails_once_provisioned() -> None:
    inst = blueprint()
    batch_endpoint(inst)
    storage_rules(inst)
    inst.workspace["properties"]["managedNetwork"]["outboundRules"]["pe-storage-table"][
        "status"
    ] = "Inactive"
    assert _fails(inst.rows(), "AMLG-111")


# ---------------------------------------------------------------- AMLG-114


def test_114_local_auth_compute_fails_and_is_opt_in() -> None:
    inst = blueprint()
    inst.extra.append(compute(inst, "cpu-cluster"))
    local = compute(inst, "ci-local", "ComputeInstance")
    local["properties"]["disableLocalAuth"] = False
    inst.extra.append(local)
    (fail,) = _fails(inst.rows(), "AMLG-114")
    assert fail.resource_id.endswith("/computes/ci-local")
    assert "hardening" in _rule("AMLG-114").tags


def _rule(rule_id: str) -> Any:
    from amlguard.scanner.rules import load_pack

    return load_pack().get(rule_id)


# ---------------------------------------------------------------- AMLG-203 / AMLG-204


def test_203_integrated_storage_private_passes_public_fails() -> None:
    inst = blueprint()
    account = extra_storage(inst, "blueprintfsoffline", groups=("blob",))
    integrate(inst, account)
    all_pass(inst.rows())
    account["properties"]["publicNetworkAccess"] = "Enabled"
    (fail,) = _fails(inst.rows(), "AMLG-203")
    assert fail.resource_id == account["id"] and fail.path == "properties.publicNetworkAccess"


def test_203_datastore_storage_needs_the_group_it_is_read_through() -> None:
    inst = blueprint()
    account = extra_storage(inst, "blueprintlake", groups=("blob",), hns=False)
    datastore(inst, "lake", account, "AzureDataLakeGen2")  # read through dfs: no dfs endpoint
    (fail,) = _fails(inst.rows(), "AMLG-203")
    assert fail.resource_id == account["id"]
    inst.add_endpoint("blueprintlake-dfs", account, "dfs")
    assert not _fails(inst.rows(), "AMLG-203")


def test_203_never_judges_storage_no_workspace_uses() -> None:
    inst = blueprint()
    extra_storage(inst, "unrelatedst", public=True, groups=())
    assert not of_rule(scan(inst.rows()), "AMLG-203")


def test_203_datastore_on_storage_outside_the_scan_is_an_error() -> None:
    inst = blueprint()
    ghost = {
        "id": inst.storage["id"].replace(inst.storage["name"], "elsewherest"),
        "name": "elsewherest",
    }
    datastore(inst, "ghost", ghost)
    (finding,) = of_rule(scan(inst.rows()), "AMLG-203")
    assert finding.status is Status.ERROR


def test_204_hns_storage_needs_dfs_endpoint() -> None:
    inst = blueprint()
    inst.storage["properties"]["isHnsEnabled"] = True
    fails = _fails(inst.rows(), "AMLG-204")
    assert [f.resource_id for f in fails] == [inst.storage["id"]]
    inst.add_endpoint("storage-dfs", inst.storage, "dfs")
    assert not _fails(inst.rows(), "AMLG-204")


# ---------------------------------------------------------------- live == snapshot


def _drifted() -> Instance:
    inst = approved_only(blueprint())
    fqdn_rule(inst, "allow-all", "*")
    service_tag_rule(inst, "regional", "Storage.westeurope")
    batch_endpoint(inst)
    local = compute(inst, "ci-local", "ComputeInstance")
    local["properties"]["disableLocalAuth"] = False
    inst.extra.append(local)
    inst.storage["properties"]["isHnsEnabled"] = True
    lake = extra_storage(inst, "blueprintlake", public=True, groups=("blob",), hns=True)
    datastore(inst, "lake", lake, "AzureDataLakeGen2")
    return inst


def _compliant() -> Instance:
    inst = approved_only(blueprint())
    fqdn_rule(inst, "allow-pypi", "pypi.org")
    batch_endpoint(inst)
    storage_rules(inst)
    inst.extra.append(compute(inst, "cpu-cluster"))
    inst.storage["properties"]["isHnsEnabled"] = True
    inst.add_endpoint("storage-dfs", inst.storage, "dfs")
    lake = extra_storage(inst, "blueprintlake", groups=("blob", "dfs"), hns=True)
    datastore(inst, "lake", lake, "AzureDataLakeGen2")
    return inst


def _mine(stdout: str) -> list[dict[str, Any]]:
    return [f for f in json.loads(stdout)["findings"] if f["rule_id"] in MINE]


@pytest.mark.parametrize("estate", ["compliant", "drifted"])
def test_live_and_snapshot_judge_alike(
    estate: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AMLGUARD_ACCESS_TOKEN", TOKEN)
    rows = (_compliant() if estate == "compliant" else _drifted()).rows()
    snap = tmp_path / "estate.json"
    snap.write_text(json.dumps(rows))
    runner = CliRunner()
    tag = ["--tag", "hardening"]
    with Emulator(rows) as emu:
        arg.install(emu)
        live_args = ["--arm-endpoint", emu.url, "--ca-bundle", emu.ca_path, "--quiet"]
        live = runner.invoke(cli, ["check", "--format", "json", *tag, *live_args])
        listed = [r.path for r in emu.requests("GET") if r.path.lower().endswith("/datastores")]
    offline = runner.invoke(cli, ["check", "--format", "json", *tag, "--snapshot", str(snap)])
    assert live.exit_code == offline.exit_code, live.output
    assert _mine(live.stdout) == _mine(offline.stdout)
    assert listed, "datastores are read through an ARM list"
    statuses = {(f["rule_id"], f["status"], f["severity"]) for f in _mine(offline.stdout)}
    if estate == "compliant":
        assert {s for _, s, _ in statuses} == {"pass"}
        assert {r for r, _, _ in statuses} >= {"AMLG-114", "AMLG-204", "AMLG-203"}
    else:
        assert {("AMLG-110", "fail", "high"), ("AMLG-111", "fail", "medium")} <= statuses
        assert {("AMLG-114", "fail", "medium"), ("AMLG-203", "fail", "high")} <= statuses
        assert ("AMLG-204", "fail", "high") in statuses


def test_compliant_examples_keep_passing_with_defaults() -> None:
    from tests.conftest import EXAMPLES

    out = CliRunner().invoke(
        cli, ["check", "--format", "json", "--snapshot", str(EXAMPLES / "compliant.json")]
    )
    assert out.exit_code == 0, out.output
    mine = _mine(out.stdout)
    assert mine and {f["status"] for f in mine} == {"pass"}
    assert "AMLG-114" not in {f["rule_id"] for f in mine}  # opt-in


def test_204_judges_hns_storage_a_datastore_names() -> None:
    inst = blueprint()
    lake = extra_storage(inst, "blueprintlake", groups=("blob",), hns=True)
    datastore(inst, "lake", lake)  # read through blob: AMLG-203 passes
    fails = _fails(inst.rows(), "AMLG-204")
    assert [f.resource_id for f in fails] == [lake["id"]]
    assert not _fails(inst.rows(), "AMLG-203")
    inst.add_endpoint("blueprintlake-dfs", lake, "dfs")
    all_pass(inst.rows())


def test_203_datastore_without_subscription_names_the_workspace_group() -> None:
    inst = blueprint()
    ghost = {"id": "x", "name": "elsewherest"}
    store = datastore(inst, "ghost", ghost)
    del store["properties"]["subscriptionId"], store["properties"]["resourceGroup"]
    (finding,) = of_rule(scan(inst.rows()), "AMLG-203")
    assert finding.status is Status.ERROR
    assert finding.resource_id.lower() == (
        f"/subscriptions/{inst.sub}/resourcegroups/{inst.rg}/providers/"
        "microsoft.storage/storageaccounts/elsewherest"
    )
