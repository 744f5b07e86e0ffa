"""Feature sets and their versions read live through ARM lists (real SDK pipeline, emulator):
the verdicts equal the snapshot's, the snapshot ``amlguard snapshot`` writes holds the rows, an
unreadable list is a gap (exit 3), and only feature stores are asked."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from amlguard.cli import cli
from tests.builders import Instance, blueprint
from tests.builders_rules4 import datastore_uri, feature_set_version, feature_store
from tests.builders_rules_a import datastore, extra_storage
from tests.emulator import arg, featurestore
from tests.emulator.server import Emulator, Fault

TOKEN = "eyJhbGciOi.not-a-real-token.c2lnbmF0dXJl"


def _estate(drifted: bool) -> Instance:
    inst = feature_store(blueprint())
    url_store = extra_storage(inst, "fsurlsource", public=drifted, groups=("dfs",))
    lake = extra_storage(inst, "fsdatastoresrc", groups=("dfs",))
    datastore(inst, "source_lake", lake, "AzureDataLakeGen2")
    feature_set_version(inst, "txn", f"abfss://c@{url_store['name']}.dfs.core.windows.net/s")
    feature_set_version(inst, "txn", datastore_uri("source_lake"), "2")
    feature_set_version(inst, "acct", datastore_uri("source_lake"), "1")
    # archived: the list leaves it out by default, as ARM does
    feature_set_version(inst, "old", "azureml:gone:1", "1", archived=True)
    if drifted:
        feature_set_version(inst, "acct", "azureml:account_source:1", "2")
    return inst


def _203(stdout: str) -> list[tuple[str, str, str]]:
    return sorted(
        (f["resource_id"].lower(), f["status"], f["message"])
        for f in json.loads(stdout)["findings"]
        if f["rule_id"] == "AMLG-203"
    )


def _live(emu: Emulator, *args: str) -> Any:
    live_args = ["--arm-endpoint", emu.url, "--ca-bundle", emu.ca_path, "--quiet"]
    return CliRunner().invoke(cli, [*args, *live_args])


@pytest.fixture(autouse=True)
def _token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AMLGUARD_ACCESS_TOKEN", TOKEN)


@pytest.mark.parametrize("drifted", [False, True])
def test_live_snapshot_and_saved_snapshot_judge_alike(drifted: bool, tmp_path: Path) -> None:
    inst = _estate(drifted)
    rows = [r for r in inst.rows() if not r["properties"].get("isArchived")]
    snap = tmp_path / "rows.json"
    snap.write_text(json.dumps(rows))
    saved = tmp_path / "saved.json"
    with Emulator(inst.rows()) as emu:
        arg.install(emu)
        featurestore.register(emu, page_size=1)  # every list pages
        live = _live(emu, "check", "--format", "json", "--rule", "AMLG-203")
        wrote = _live(emu, "snapshot", "--rule", "AMLG-203", "-o", str(saved))
        listed = [r.path.lower() for r in emu.requests("GET") if "/featuresets" in r.path.lower()]
    check = ["check", "--format", "json", "--rule", "AMLG-203", "--snapshot"]
    offline = CliRunner().invoke(cli, [*check, str(snap)])
    from_saved = CliRunner().invoke(cli, [*check, str(saved)])
    assert wrote.exit_code == 0, wrote.output
    assert (
        live.exit_code == offline.exit_code == from_saved.exit_code == (3 if drifted else 0)
    )  # an error: exit 3
    assert _203(live.stdout) == _203(offline.stdout) == _203(from_saved.stdout)
    assert any(p.endswith("/featuresets") for p in listed)
    assert any(p.endswith("/featuresets/txn/versions") for p in listed)
    statuses = {(rid.rsplit("/", 1)[-1], s) for rid, s, _ in _203(live.stdout)}
    if drifted:
        assert ("fsurlsource", "fail") in statuses and ("2", "error") in statuses
        (error,) = [m for _, s, m in _203(live.stdout) if s == "error"]
        assert "feature set acct version 2" in error
    else:
        assert statuses == {("fsurlsource", "pass"), ("fsdatastoresrc", "pass")}
    kinds = {r["type"] for r in json.loads(saved.read_text())["data"]}
    assert "microsoft.machinelearningservices/workspaces/featuresets/versions" in kinds


@pytest.mark.parametrize(
    "where", ["/featuresets", "/featuresets/txn/versions"], ids=["sets", "versions"]
)
def test_an_unreadable_list_is_a_gap(where: str) -> None:
    inst = _estate(drifted=False)
    with Emulator(inst.rows()) as emu:
        arg.install(emu)
        featurestore.register(emu)
        path = re.escape(inst.workspace["id"] + where) + "$"
        emu.add_fault(Fault(method="GET", path_re=path, status=500, times=99))
        live = _live(emu, "check", "--format", "json", "--rule", "AMLG-203")
    assert live.exit_code == 3, live.output
    report = json.loads(live.stdout)
    assert {f["status"] for f in report["findings"] if f["rule_id"] == "AMLG-203"} == {"error"}
    text = json.dumps(report)
    assert "feature set" in text and "HTTP 500" in text


def test_only_feature_stores_are_asked_for_feature_sets() -> None:
    inst = blueprint()  # kind Default: listing its feature sets would be a 400
    datastore(inst, "lake", extra_storage(inst, "plainlake"))
    with Emulator(inst.rows()) as emu:
        arg.install(emu)
        featurestore.register(emu)
        live = _live(emu, "check", "--format", "json", "--rule", "AMLG-203")
        asked = [r for r in emu.requests("GET") if "/featuresets" in r.path.lower()]
        datastores = [r for r in emu.requests("GET") if r.path.lower().endswith("/datastores")]
    assert live.exit_code == 0, live.output
    assert asked == [] and datastores
