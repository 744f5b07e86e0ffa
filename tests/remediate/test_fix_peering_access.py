"""``--fix`` and ``apply`` do not cut public access behind a peering that passes no traffic
(redteam9 #8): the DNS readiness that gates a public-access cut shares AMLG-301's judge, which
reads ``allowVirtualNetworkAccess``. Through the real CLI, the real SDK clients and the emulator:
a spoke whose leg to the hub (where its DNS resolver sits) is ``Connected`` but passes nothing
gets no cut planned; a plan saved while the leg passed traffic is refused by ``apply`` once the
leg stops passing it, and nothing is written."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from amlguard.cli import cli
from tests.conftest import EXAMPLES
from tests.emulator import arg, network
from tests.emulator.server import Emulator

STORAGE = "spokeast"


def _rows(access: bool) -> list[dict[str, Any]]:
    """landing-zone.json, spoke-a's storage public, its leg to vnet-hub passing ``access``."""
    rows = list(json.loads((EXAMPLES / "landing-zone.json").read_text())["data"])
    for row in rows:
        if row["type"].lower() == "microsoft.storage/storageaccounts" and row["name"] == STORAGE:
            row["properties"]["publicNetworkAccess"] = "Enabled"
        if row["name"] == "spoke-a-vnet":
            _set_access(row, access)
    assert any(r["name"] == STORAGE for r in rows)
    return rows


def _set_access(vnet: dict[str, Any], access: bool) -> None:
    legs = [
        p
        for p in vnet["properties"]["virtualNetworkPeerings"]
        if p["properties"]["remoteVirtualNetwork"]["id"].lower().endswith("/vnet-hub")
    ]
    assert legs, "spoke-a-vnet has no peering to vnet-hub"
    for leg in legs:
        leg["properties"]["allowVirtualNetworkAccess"] = access


def _env(monkeypatch: pytest.MonkeyPatch, emu: Emulator, state: Path) -> None:
    monkeypatch.setenv("AMLGUARD_ARM_ENDPOINT", emu.url)
    monkeypatch.setenv("AMLGUARD_CA_BUNDLE", emu.ca_path)
    monkeypatch.setenv("AMLGUARD_ACCESS_TOKEN", "t")
    monkeypatch.setenv("XDG_STATE_HOME", str(state))
    monkeypatch.setenv("XDG_CACHE_HOME", str(state / "cache"))
    monkeypatch.delenv("AZUREML_CURRENT_CLOUD", raising=False)


def _cuts(plan_file: Path) -> list[str]:
    plan = json.loads(plan_file.read_text())
    return [
        a["target"]
        for a in plan["actions"]
        if a["operation"] == "disable-public-network-access"
        and a["target"].lower().endswith("/" + STORAGE)
    ]


def test_no_cut_is_planned_behind_a_leg_that_passes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan_file = tmp_path / "plan.json"
    with Emulator(_rows(access=False)) as emu:
        network.install(emu)
        arg.install(emu)
        _env(monkeypatch, emu, tmp_path / "state")
        planned = CliRunner().invoke(
            cli, ["check", "--fix", "--dry-run", "--plan-out", str(plan_file)]
        )
        writes = emu.writes()
    assert planned.exit_code in (1, 3), planned.output
    assert not plan_file.exists() or not _cuts(plan_file), planned.output
    assert "allowVirtualNetworkAccess is false" in planned.output
    assert not writes


def test_a_cut_planned_while_the_leg_passed_traffic_is_refused_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan_file = tmp_path / "plan.json"
    runner = CliRunner()
    with Emulator(_rows(access=True)) as emu:
        network.install(emu)
        arg.install(emu)
        _env(monkeypatch, emu, tmp_path / "state")
        planned = runner.invoke(cli, ["check", "--fix", "--dry-run", "--plan-out", str(plan_file)])
        assert plan_file.exists() and _cuts(plan_file), planned.output
        vnet = next(r for r in emu.arg_rows() if r["name"] == "spoke-a-vnet")
        changed = copy.deepcopy(emu.get(vnet["id"]) or vnet)
        _set_access(changed, False)
        emu.write(changed)
        applied = runner.invoke(cli, ["apply", str(plan_file), "--yes"])
        writes = emu.writes()
    assert applied.exit_code == 2, applied.output
    assert STORAGE in applied.output and "nothing was written" in applied.output
    assert not [w for w in writes if STORAGE in w.path.lower()]
