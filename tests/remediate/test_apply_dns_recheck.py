"""``apply`` re-checks DNS resolution of every public-access cut from current data: a plan
saved while the zones resolved, applied after the solution VNet's link to a zone was deleted
(or its DNS servers changed), is refused whole (exit 2, naming the zone) and nothing is
written; through the real CLI, the real SDK clients and the emulator."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from amlguard.cli import cli
from amlguard.remediate.dnsrecheck import cuts_of, planned_zones
from amlguard.remediate.plan import load_plan
from tests.emulator import arg, network
from tests.emulator.server import Emulator
from tests.remediate.conftest import drifted_rows

RG = "/subscriptions/8f1c2a6e-3b4d-4e5f-9a0b-1c2d3e4f5a6b/resourceGroups/ml-secure-blueprint"
ZONES = f"{RG}/providers/Microsoft.Network/privateDnsZones"
BLOB_LINK = f"{ZONES}/privatelink.blob.core.windows.net/virtualNetworkLinks/blueprint-dev-link"
API_LINK = f"{ZONES}/privatelink.api.azureml.ms/virtualNetworkLinks/blueprint-dev-link"
VNET = f"{RG}/providers/Microsoft.Network/virtualNetworks/blueprint-dev-vnet"


def _env(monkeypatch: pytest.MonkeyPatch, emu: Emulator, state: Path) -> None:
    monkeypatch.setenv("AMLGUARD_ARM_ENDPOINT", emu.url)
    monkeypatch.setenv("AMLGUARD_CA_BUNDLE", emu.ca_path)
    monkeypatch.setenv("AMLGUARD_ACCESS_TOKEN", "t")
    monkeypatch.setenv("XDG_STATE_HOME", str(state))
    monkeypatch.delenv("AZUREML_CURRENT_CLOUD", raising=False)


def _save_then_apply(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    change: Any,
    arg_lag: float = 0.0,
) -> tuple[Any, Any, list[Any]]:
    """Plan live while DNS resolves, ``change(emu)``, then apply the saved plan with --yes."""
    plan_file = tmp_path / "plan.json"
    runner = CliRunner()
    with Emulator(drifted_rows(), arg_lag=arg_lag) as emu:
        network.install(emu)
        arg.install(emu)
        _env(monkeypatch, emu, tmp_path / "state")
        planned = runner.invoke(cli, ["check", "--fix", "--dry-run", "--plan-out", str(plan_file)])
        assert plan_file.exists(), planned.output
        change(emu)
        applied = runner.invoke(cli, ["apply", str(plan_file), "--yes"])
        writes = emu.writes()
    return planned, applied, writes


def test_a_plan_saved_when_dns_resolved_applies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, applied, writes = _save_then_apply(tmp_path, monkeypatch, lambda emu: None)
    assert applied.exit_code == 0, applied.output
    assert any("blueprintdevst" in w.path.lower() for w in writes)


@pytest.mark.parametrize("arg_lag", [0.0, 600.0], ids=["graph-current", "graph-lags"])
def test_deleted_vnet_link_refuses_the_plan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, arg_lag: float
) -> None:
    """With Resource Graph lagging, it still shows the deleted link: ARM is asked."""
    planned, applied, writes = _save_then_apply(
        tmp_path, monkeypatch, lambda emu: emu.delete(BLOB_LINK), arg_lag
    )
    plan = json.loads((tmp_path / "plan.json").read_text())
    cut = [a for a in plan["actions"] if a["operation"] == "disable-public-network-access"]
    assert any(a["target"].endswith("/blueprintdevst") for a in cut), planned.output
    assert applied.exit_code == 2, applied.output
    assert "privatelink.blob.core.windows.net" in applied.output
    assert "blueprintdevst" in applied.output and "nothing was written" in applied.output
    assert writes == []


def test_custom_dns_servers_refuse_the_workspace_cut(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def custom_dns(emu: Emulator) -> None:
        vnet = copy.deepcopy(emu.get(VNET))
        assert vnet is not None
        vnet["properties"]["dhcpOptions"] = {"dnsServers": ["10.99.0.4"]}
        emu.write(vnet)

    _, applied, writes = _save_then_apply(tmp_path, monkeypatch, custom_dns)
    assert applied.exit_code == 2, applied.output
    assert "privatelink.api.azureml.ms" in applied.output or "privatelink.blob" in applied.output
    assert writes == []


def test_a_deleted_zone_refuses_the_plan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def drop_zone(emu: Emulator) -> None:
        emu.delete(API_LINK)
        emu.delete(API_LINK.split("/virtualNetworkLinks/")[0])

    _, applied, writes = _save_then_apply(tmp_path, monkeypatch, drop_zone)
    assert applied.exit_code == 2, applied.output
    assert "privatelink.api.azureml.ms" in applied.output and writes == []


def test_planned_zone_groups_are_the_zones_checked(tmp_path: Path) -> None:
    plan_file = tmp_path / "plan.json"
    CliRunner().invoke(
        cli, ["check", "--snapshot", "examples/estates/drifted.json", "--fix", "--plan-out",
              str(plan_file)],
    )  # fmt: skip
    plan = load_plan(plan_file)
    cuts = cuts_of(plan)
    assert cuts and all(a.operation == "disable-public-network-access" for a in cuts)
    for a in plan.actions:
        if a.operation == "create-dns-zone-group":
            target = str(a.params["endpoint_target"])
            assert planned_zones(plan, target.upper())  # ids compared case-insensitively
    assert planned_zones(plan, "/subscriptions/x/resourceGroups/y/providers/A/b/none") == []
