"""Plans: deterministic, empty when compliant, JSON round trip, DAG order, manual steps, --only."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from amlguard.errors import InputError
from amlguard.remediate.fix import prepare
from amlguard.remediate.plan import PHASES, load_plan
from amlguard.scanner.rules import load_pack
from amlguard.scanner.scan import ScanOptions, select_rules
from amlguard.scanner.sources.snapshot import SnapshotSource
from tests.builders import blueprint
from tests.conftest import EXAMPLES


def _plan(path: Path, only: tuple[str, ...] = ()):
    pack = load_pack([])
    return prepare(SnapshotSource([path]), pack, select_rules(pack), ScanOptions(), list(only)).plan


def _write(tmp_path: Path, rows: list[dict]) -> Path:
    p = tmp_path / "estate.json"
    p.write_text(json.dumps(rows))
    return p


def test_compliant_estate_plans_nothing() -> None:
    plan = _plan(EXAMPLES / "compliant.json")
    assert plan.empty and plan.manual == []


def test_plan_is_deterministic_and_round_trips(tmp_path: Path) -> None:
    one = _plan(EXAMPLES / "drifted.json")
    two = _plan(EXAMPLES / "drifted.json")
    # the digest covers the scan time too: two plans a second apart differ only there
    same = {"scan_time": "", "digest": ""}
    assert {**one.to_dict(), **same} == {**two.to_dict(), **same}
    two.scan_time = one.scan_time
    assert one.to_dict() == two.to_dict()
    one.write(tmp_path / "plan.json")
    assert load_plan(tmp_path / "plan.json").to_dict() == one.to_dict()


def test_dependencies_follow_the_blueprint_order() -> None:
    plan = _plan(EXAMPLES / "multi-workspace.json")
    by_id = plan.by_id()
    for a in plan.actions:
        for d in a.depends_on:
            assert d < a.id and by_id[d].instance == a.instance
            assert by_id[d].phase <= a.phase
    ops = [a.operation for a in plan.actions]
    assert set(ops) <= set(PHASES)


def test_manual_steps_carry_the_exact_command_and_refusals_say_why() -> None:
    plan = _plan(EXAMPLES / "multi-workspace.json")
    by_rule = {(m.rule_id, m.resource_id.rsplit("/", 1)[-1]): m for m in plan.manual}
    premium = by_rule[("AMLG-223", "mlemeaacr")]
    assert "Premium" in premium.reason and "az network private-endpoint create" in premium.command
    assert by_rule[("AMLG-221", "mlemeaacr")].command.startswith("az acr update")
    assert not any(a.target.endswith("mlemeaacr") for a in plan.actions)


def test_no_private_endpoint_means_public_access_stays_with_a_warning(tmp_path: Path) -> None:
    inst = blueprint()
    inst.remove_endpoint("workspace")
    inst.workspace["properties"]["publicNetworkAccess"] = "Enabled"
    for zone in ("privatelink.api.azureml.ms", "privatelink.notebooks.azure.net"):
        del inst.zones[zone]
        del inst.links[zone]
    inst.vnet["properties"]["subnets"] = []
    inst.remove_endpoint("keyvault")  # the subnet is still found from the associated endpoints
    inst.keyvault["properties"]["publicNetworkAccess"] = "Enabled"
    plan = _plan(_write(tmp_path, inst.rows()))
    ops = {(a.operation, a.target.rsplit("/", 1)[-1]) for a in plan.actions}
    # The workspace endpoint is planned, its zones are manual; without its zone group clients
    # would resolve the public name, so public access is not cut (issue 11 item 15).
    assert ("create-private-endpoint", "blueprint-mlw-pe-amlworkspace") in ops
    assert ("create-dns-zone-group", "default") in ops  # the key vault's
    assert any("privatelink.api.azureml.ms does not exist" in m.reason for m in plan.manual)
    assert not any(
        a.operation == "disable-public-network-access" and a.target == inst.workspace["id"]
        for a in plan.actions
    )
    assert any("DNS zone group" in w and "blueprint-mlw" in w for w in plan.warnings)
    # The key vault gets endpoint + complete zone group in the plan: its cut waits on both.
    kv = next(
        a
        for a in plan.actions
        if a.operation == "disable-public-network-access" and a.target == inst.keyvault["id"]
    )
    waits = {a.operation for a in plan.actions if a.id in kv.depends_on}
    assert waits == {"create-private-endpoint", "create-dns-zone-group"}


def test_isolation_is_only_upgraded(tmp_path: Path) -> None:
    inst = blueprint()
    inst.workspace["properties"]["managedNetwork"]["isolationMode"] = "AllowOnlyApprovedOutbound"
    p = tmp_path / "cfg"
    p.mkdir()
    pack = load_pack([])
    options = ScanOptions(parameters={"AMLG-102": {"allowed_modes": ["AllowInternetOutbound"]}})
    plan = prepare(
        SnapshotSource([_write(tmp_path, inst.rows())]), pack, select_rules(pack), options, []
    ).plan
    assert plan.empty
    (step,) = [m for m in plan.manual if m.rule_id == "AMLG-102"]
    assert "downgrade" in step.reason
    # the step never hands over the rule's own command, which would ask for the downgrade
    assert "--managed-network" not in step.command
    assert "allowed_modes" in step.command


def test_only_filters_and_rejects_unknown_ids() -> None:
    plan = _plan(EXAMPLES / "drifted.json", only=("AMLG-201",))
    assert [a.rule_ids for a in plan.actions] == [("AMLG-201",)]
    assert plan.manual == []
    with pytest.raises(InputError):
        _plan(EXAMPLES / "drifted.json", only=("AMLG-999",))


def test_malformed_plan_file_is_an_input_error(tmp_path: Path) -> None:
    bad = tmp_path / "plan.json"
    bad.write_text('{"format": "something-else"}')
    with pytest.raises(InputError, match="not an amlguard plan"):
        load_plan(bad)
    bad.write_text("{nope")
    with pytest.raises(InputError, match=r"plan.json:1:2"):
        load_plan(bad)


def test_provisioning_waits_for_an_isolation_upgrade(tmp_path: Path) -> None:
    inst = blueprint()
    net = inst.workspace["properties"]["managedNetwork"]
    net["isolationMode"] = "Disabled"
    net["status"] = {"status": "Inactive", "sparkReady": False}
    path = _write(tmp_path, inst.rows())
    full = _plan(path)
    upgrade = next(a for a in full.actions if a.operation == "update-workspace-settings")
    provision = next(a for a in full.actions if a.operation == "provision-managed-network")
    assert upgrade.id in provision.depends_on and provision is full.actions[-1]
    assert upgrade.body == {
        "properties": {"managedNetwork": {"isolationMode": "AllowInternetOutbound"}}
    }
    assert "irreversible" in upgrade.flags

    alone = _plan(path, only=("AMLG-103",))
    assert alone.empty
    assert any("isolation is Disabled" in m.reason for m in alone.manual)


def test_image_build_compute_needs_the_compute_to_exist(tmp_path: Path) -> None:
    inst = blueprint()
    del inst.workspace["properties"]["imageBuildCompute"]
    pack = load_pack([])
    seen: list[str] = []

    def reader(resource_id: str) -> dict | None:
        seen.append(resource_id)
        return None

    plan = prepare(
        SnapshotSource([_write(tmp_path, inst.rows())]),
        pack,
        select_rules(pack),
        ScanOptions(),
        [],
        reader,
    ).plan
    assert seen == [f"{inst.workspace['id']}/computes/cpu-compute"]
    assert plan.empty
    (step,) = plan.manual
    assert step.rule_id == "AMLG-107" and "does not exist" in step.reason
    assert "--image-build-compute cpu-compute" in step.command
