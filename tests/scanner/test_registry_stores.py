"""AMLG-241: an AML registry's regional storage account and container registry that the scan's
scope does not hold (their managed resource group is outside ``--resource-group``) are read by
id from ARM, only for registries of scanned instances, concurrently; what cannot be read stays
``error`` naming the resource. Live (emulator, real SDK clients) and snapshot agree."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from amlguard.scanner.model import Status
from amlguard.scanner.registrystores import REGION_PATHS, region_resources
from amlguard.scanner.sources.snapshot import SnapshotSource
from tests.builders import blueprint
from tests.builders_integrations import add_registry
from tests.emulator import arg
from tests.emulator.live import scan, source
from tests.emulator.server import Emulator, Fault

SCOPE = ("ml-secure-blueprint",)  # the instance's group: the registry's managed group is not


def _estate(**kw: Any) -> tuple[list[dict[str, Any]], list[str]]:
    inst = blueprint()
    _registry, managed = add_registry(inst, **kw)
    return inst.rows(), [r["id"] for r in managed]


def _241(result: Any) -> list[Any]:
    return [f for f in result.findings if f.rule_id == "AMLG-241"]


def _managed_gets(emu: Emulator) -> list[str]:
    return sorted(
        r.path.split("?")[0].lower()
        for r in emu.requests("GET")
        if "/resourcegroups/azureml-rg-" in r.path.lower()
    )


def test_paths_are_the_rules_paths() -> None:
    raw = yaml.safe_load(Path("amlguard/policies/rules/registries.yaml").read_text("utf-8"))
    rule = next(r for r in raw["rules"] if r["id"] == "AMLG-241")
    text = json.dumps(rule["condition"])
    assert all(p in text for p in REGION_PATHS)


def test_registry_stores_outside_the_scope_are_read_by_id_and_pass(tmp_path: Path) -> None:
    rows, managed = _estate()
    with Emulator(rows) as emu:
        arg.install(emu)
        live = scan(source(emu, resource_groups=SCOPE))
        gets = _managed_gets(emu)
    assert gets == sorted(m.lower() for m in managed)  # each once, nothing else there
    assert live.source.complete, live.source.gaps
    (finding,) = _241(live)
    assert finding.status is Status.PASS, finding.message
    snap = tmp_path / "estate.json"
    snap.write_text(json.dumps(rows), encoding="utf-8")
    offline = scan(SnapshotSource([snap]))
    assert [f.status for f in _241(offline)] == [Status.PASS]


def test_public_registry_stores_outside_the_scope_fail_naming_them() -> None:
    rows, managed = _estate(managed_public=True)
    with Emulator(rows) as emu:
        arg.install(emu)
        live = scan(source(emu, resource_groups=SCOPE))
    (finding,) = _241(live)
    assert finding.status is Status.FAIL
    assert all(m.rsplit("/", 1)[-1] in finding.message + str(finding.offenders) for m in managed)


def test_forbidden_registry_store_is_an_error_naming_it_and_the_rest_is_judged() -> None:
    rows, managed = _estate()
    storage = managed[0]
    with Emulator(rows) as emu:
        arg.install(emu)
        emu.add_fault(
            Fault(
                "GET",
                "/storageAccounts/" + storage.rsplit("/", 1)[-1] + "$",
                403,
                body={"error": {"code": "AuthorizationFailed", "message": "no read"}},
                times=5,
            )
        )
        live = scan(source(emu, resource_groups=SCOPE))
    (finding,) = _241(live)
    assert finding.status is Status.ERROR and storage in finding.message
    assert [g.scope for g in live.source.gaps] == [storage]
    assert "403" in live.source.gaps[0].reason
    others = [f for f in live.findings if f.rule_id != "AMLG-241"]
    assert others and all(f.status is not Status.ERROR for f in others)


def test_deleted_registry_store_is_an_error_naming_it() -> None:
    rows, managed = _estate()
    acr = managed[1]
    rows = [r for r in rows if r["id"] != acr]
    with Emulator(rows) as emu:
        arg.install(emu)
        live = scan(source(emu, resource_groups=SCOPE))
    (finding,) = _241(live)
    assert finding.status is Status.ERROR and acr in finding.message
    assert live.source.complete  # a 404 is a deleted resource, not an unreadable one


def test_malformed_answer_is_an_error_never_a_stand_in() -> None:
    rows, managed = _estate()
    acr = managed[1]
    with Emulator(rows) as emu:
        arg.install(emu)
        emu.add_fault(
            Fault(
                "GET",
                "/registries/" + acr.rsplit("/", 1)[-1] + "$",
                200,
                body={"id": managed[0], "type": "Microsoft.Storage/storageAccounts"},
                times=5,
            )
        )
        live = scan(source(emu, resource_groups=SCOPE))
    (finding,) = _241(live)
    assert finding.status is Status.ERROR and acr in finding.message
    assert [g.scope for g in live.source.gaps] == [acr]


def test_registry_no_scanned_instance_integrates_is_not_followed() -> None:
    rows, _managed = _estate()
    rules = next(r for r in rows if r["type"] == "microsoft.machinelearningservices/workspaces")
    rules["properties"]["managedNetwork"]["outboundRules"].pop("allowRegistry")
    rows = [r for r in rows if "privateEndpoints/blueprint-pe-amlregistry" not in r["id"]]
    with Emulator(rows) as emu:
        arg.install(emu)
        scan(source(emu, resource_groups=SCOPE))
        assert _managed_gets(emu) == []


def test_snapshot_without_registry_stores_is_an_error_naming_them(tmp_path: Path) -> None:
    rows, managed = _estate(managed_in_scan=False)
    snap = tmp_path / "estate.json"
    snap.write_text(json.dumps(rows), encoding="utf-8")
    (finding,) = _241(scan(SnapshotSource([snap])))
    assert finding.status is Status.ERROR
    assert all(m in finding.message for m in managed)


def test_region_resources_of_hostile_rows_name_nothing() -> None:
    assert region_resources({"properties": {"regionDetails": "x"}}) == []
    assert region_resources({"properties": {"regionDetails": [{"acrDetails": [7]}]}}) == []
