"""Disabling Application Insights' public ingestion and query waits for a private path from the
solution VNet (redteam7 #6): an approved azuremonitor endpoint of the scope in the solution VNet
with its DNS zone group, whose zones resolve there (dnsready, as for the other public-access
cuts); otherwise the step is manual and says why. ``apply`` re-checks every action flagged
``CUTS_PUBLIC_ACCESS`` from current data, this one included; through the real CLI, the real SDK
clients and the emulator."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from amlguard.cli import cli
from amlguard.remediate.dnsrecheck import cuts_of, path_of
from amlguard.remediate.plan import load_plan
from tests.builders import Instance, blueprint
from tests.builders_integrations import hardened
from tests.emulator import arg, integrations, network
from tests.emulator.server import Emulator

CUT = "disable-public-ingestion-query"
OTHER_SUBNET = (
    "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-other-team"
    "/providers/Microsoft.Network/virtualNetworks/other-vnet/subnets/snet-pe"
)
MONITOR = "privatelink.monitor.azure.com"


def _public_insights() -> Instance:
    """The hardened blueprint with Application Insights still public: its AMPLS has an approved
    endpoint in the solution subnet, with its zone group and zones linked to the VNet."""
    inst = hardened(blueprint())
    props = inst.insights["properties"]
    props["publicNetworkAccessForIngestion"] = "Enabled"
    props["publicNetworkAccessForQuery"] = "Enabled"
    return inst


def _plan(tmp_path: Path, rows: list[dict[str, Any]]) -> dict[str, Any]:
    snap, out = tmp_path / "estate.json", tmp_path / "plan.json"
    snap.write_text(json.dumps({"data": rows}), encoding="utf-8")
    args = ["check", "--snapshot", str(snap), "--rule", "AMLG-250", "--fix", "--plan-out", str(out)]
    result = CliRunner().invoke(cli, args)
    assert out.exists(), result.output
    return dict(json.loads(out.read_text()))


def _unlink_monitor_zones(inst: Instance) -> None:
    for zone in [z for z in inst.links if "monitor" in z or "opinsights" in z or "agentsvc" in z]:
        inst.links.pop(zone)


def _no_zone_group(inst: Instance) -> None:
    inst.zone_groups.pop("ampls")


def _other_vnet(inst: Instance) -> None:
    inst.endpoints["ampls"]["properties"]["subnet"]["id"] = OTHER_SUBNET


def test_a_ready_private_path_plans_the_cut(tmp_path: Path) -> None:
    plan = _plan(tmp_path, _public_insights().rows())
    assert [a["operation"] for a in plan["actions"]] == [CUT]
    assert "cuts public access" in plan["actions"][0]["flags"]


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (_unlink_monitor_zones, MONITOR),
        (_no_zone_group, "no DNS zone group"),
        (_other_vnet, "in the solution VNet"),
    ],
    ids=["zones-not-linked", "no-zone-group", "endpoint-elsewhere"],
)
def test_without_a_private_path_the_cut_is_manual_and_says_why(
    tmp_path: Path, change: Callable[[Instance], None], said: str
) -> None:
    inst = _public_insights()
    change(inst)
    plan = _plan(tmp_path, inst.rows())
    assert not [a for a in plan["actions"] if a["operation"] == CUT]
    (step,) = [m for m in plan["manual"] if m["rule_id"] == "AMLG-250"]
    assert said in step["reason"] and "not disabling public ingestion and query" in step["reason"]
    assert any(said in w for w in plan["warnings"])


# ---------------------------------------------------------------- apply re-check, live


def _env(monkeypatch: pytest.MonkeyPatch, emu: Emulator, state: Path) -> None:
    monkeypatch.setenv("AMLGUARD_ARM_ENDPOINT", emu.url)
    monkeypatch.setenv("AMLGUARD_CA_BUNDLE", emu.ca_path)
    monkeypatch.setenv("AMLGUARD_ACCESS_TOKEN", "t")
    monkeypatch.setenv("XDG_STATE_HOME", str(state))
    monkeypatch.delenv("AZUREML_CURRENT_CLOUD", raising=False)


def _save_then_apply(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: Callable[[Emulator, Instance], None]
) -> tuple[Any, list[Any], Path]:
    """Plan live while the scope's zones resolve, ``change``, then apply the saved plan."""
    inst = _public_insights()
    plan_file, audit = tmp_path / "plan.json", tmp_path / "audit.jsonl"
    runner = CliRunner()
    with Emulator(inst.rows()) as emu:
        network.install(emu)
        arg.install(emu)
        integrations.register(emu)
        _env(monkeypatch, emu, tmp_path / "state")
        # AMLG-301 too: a live scan reads the private DNS zones only for rules that judge them
        rules = ["--rule", "AMLG-250", "--rule", "AMLG-301"]
        planned = runner.invoke(
            cli, ["check", *rules, "--fix", "--dry-run", "--plan-out", str(plan_file)]
        )
        saved = load_plan(plan_file)
        assert [a.operation for a in saved.actions] == [CUT], planned.output
        change(emu, inst)
        applied = runner.invoke(cli, ["apply", str(plan_file), "--yes", "--audit-log", str(audit)])
        writes = emu.writes()
    return applied, writes, audit


def test_every_action_flagged_as_cutting_public_access_is_rechecked(tmp_path: Path) -> None:
    """The component's cut is one, and its private path is the scope it names."""
    _plan(tmp_path, _public_insights().rows())
    (cut,) = cuts_of(load_plan(tmp_path / "plan.json"))
    assert cut.operation == CUT
    assert path_of(cut).lower().endswith("/privatelinkscopes/blueprint-ampls")


def test_a_plan_saved_while_the_path_was_ready_applies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    applied, writes, _ = _save_then_apply(tmp_path, monkeypatch, lambda emu, inst: None)
    assert applied.exit_code == 0, applied.output
    assert [w.method for w in writes] == ["PUT"]


def test_a_monitor_zone_unlinked_after_planning_refuses_the_plan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unlink(emu: Emulator, inst: Instance) -> None:
        emu.delete(str(inst.links[MONITOR]["id"]))

    applied, writes, _ = _save_then_apply(tmp_path, monkeypatch, unlink)
    assert applied.exit_code == 2, applied.output
    assert MONITOR in applied.output and "nothing was written" in applied.output
    assert writes == []


def test_an_endpoint_moved_out_of_the_solution_vnet_refuses_the_plan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def move(emu: Emulator, inst: Instance) -> None:
        pe = json.loads(json.dumps(emu.get(str(inst.endpoints["ampls"]["id"]))))
        pe["properties"]["subnet"]["id"] = OTHER_SUBNET
        emu.write(pe)

    applied, writes, _ = _save_then_apply(tmp_path, monkeypatch, move)
    assert applied.exit_code == 2, applied.output
    assert "solution" in applied.output and writes == []
