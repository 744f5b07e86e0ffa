"""``--fix`` plans Application Insights' ingestion and query cut for the hub design: the AMPLS
endpoint in the hub VNet the spoke is peered to (redteam8 item 8), as AMLG-250 counts it; an
endpoint the spoke does not reach, or a peering that cannot be read, keeps the cut manual and
says why. Live: planned and applied through the real CLI, SDK clients and the emulator, and a
peering disconnected after planning refuses the saved plan."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from amlguard.cli import cli
from amlguard.remediate.plan import load_plan
from tests.builders import Connectivity, Instance
from tests.builders_fix8b import hub_ampls, peering_to
from tests.emulator import arg, integrations, network
from tests.emulator.server import Emulator

CUT = "disable-public-ingestion-query"
Row = dict[str, Any]


def _public_hub() -> tuple[Instance, Connectivity]:
    """The hub design with Application Insights still public."""
    inst, hub = hub_ampls()
    props = inst.insights["properties"]
    props["publicNetworkAccessForIngestion"] = "Enabled"
    props["publicNetworkAccessForQuery"] = "Enabled"
    return inst, hub


def _plan(tmp_path: Path, rows: list[Row]) -> dict[str, Any]:
    snap, out = tmp_path / "estate.json", tmp_path / "plan.json"
    snap.write_text(json.dumps({"data": rows}), encoding="utf-8")
    args = ["check", "--snapshot", str(snap), "--rule", "AMLG-250", "--fix", "--plan-out", str(out)]
    result = CliRunner().invoke(cli, args)
    assert out.exists(), result.output
    return dict(json.loads(out.read_text()))


def test_the_hub_endpoint_plans_the_cut(tmp_path: Path) -> None:
    inst, hub = _public_hub()
    plan = _plan(tmp_path, inst.rows() + hub.rows())
    assert [a["operation"] for a in plan["actions"]] == [CUT], plan["manual"]


def _disconnect(inst: Instance, hub: Connectivity) -> None:
    peering_to(inst, hub)["properties"]["peeringState"] = "Disconnected"


def _no_state(inst: Instance, hub: Connectivity) -> None:
    peering_to(inst, hub)["properties"].pop("peeringState")


def _unpeered(inst: Instance, hub: Connectivity) -> None:
    inst.vnet["properties"]["virtualNetworkPeerings"] = []


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (_disconnect, "or a VNet it reaches"),
        (_unpeered, "or a VNet it reaches"),
        (_no_state, "peeringState"),
    ],
    ids=["disconnected", "unpeered", "peering-unreadable"],
)
def test_an_endpoint_the_spoke_does_not_reach_keeps_the_cut_manual(
    tmp_path: Path, change: Callable[[Instance, Connectivity], None], said: str
) -> None:
    inst, hub = _public_hub()
    change(inst, hub)
    plan = _plan(tmp_path, inst.rows() + hub.rows())
    assert not [a for a in plan["actions"] if a["operation"] == CUT]
    (step,) = [m for m in plan["manual"] if m["rule_id"] == "AMLG-250"]
    assert said in step["reason"] and "not disabling public ingestion and query" in step["reason"]


# ---------------------------------------------------------------- live, through the emulator


def _env(monkeypatch: pytest.MonkeyPatch, emu: Emulator, state: Path) -> None:
    monkeypatch.setenv("AMLGUARD_ARM_ENDPOINT", emu.url)
    monkeypatch.setenv("AMLGUARD_CA_BUNDLE", emu.ca_path)
    monkeypatch.setenv("AMLGUARD_ACCESS_TOKEN", "t")
    monkeypatch.setenv("XDG_STATE_HOME", str(state))
    monkeypatch.delenv("AZUREML_CURRENT_CLOUD", raising=False)


def _live(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: Callable[[Emulator, Instance], None]
) -> tuple[Any, Any, list[Any]]:
    """A live check (AMLG-250 and AMLG-301), a live plan, ``change``, then apply the plan."""
    inst, hub = _public_hub()
    plan_file = tmp_path / "plan.json"
    runner = CliRunner()
    with Emulator(inst.rows() + hub.rows()) as emu:
        network.install(emu)
        arg.install(emu)
        integrations.register(emu)
        _env(monkeypatch, emu, tmp_path / "state")
        rules = ["--rule", "AMLG-250", "--rule", "AMLG-301"]
        planned = runner.invoke(
            cli, ["check", *rules, "--fix", "--dry-run", "--plan-out", str(plan_file)]
        )
        change(emu, inst)
        applied = runner.invoke(cli, ["apply", str(plan_file), "--yes"])
        writes = emu.writes()
    return planned, applied, writes


def test_live_the_hub_endpoint_plans_and_applies_the_cut(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    planned, applied, writes = _live(tmp_path, monkeypatch, lambda emu, inst: None)
    assert [a.operation for a in load_plan(tmp_path / "plan.json").actions] == [CUT], planned.output
    assert applied.exit_code == 0, applied.output
    assert [w.method for w in writes] == ["PUT"]


def test_live_a_peering_disconnected_after_planning_refuses_the_plan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def disconnect(emu: Emulator, inst: Instance) -> None:
        vnet = json.loads(json.dumps(emu.get(str(inst.vnet["id"]))))
        for peering in vnet["properties"]["virtualNetworkPeerings"]:
            peering["properties"]["peeringState"] = "Disconnected"
        emu.write(vnet)

    _planned, applied, writes = _live(tmp_path, monkeypatch, disconnect)
    assert applied.exit_code == 2, applied.output
    assert "or a VNet it reaches" in applied.output and writes == []
