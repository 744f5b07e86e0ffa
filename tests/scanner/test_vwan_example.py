"""The Virtual WAN example estates: their verdicts, snapshot = live (emulator, real SDK
clients, through the CLI), and the README names them. That the committed files equal their
builders is ``test_estates.test_committed_examples_equal_the_builders`` (they are registered
in ``tests.make_examples.ESTATES``)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from click.testing import CliRunner

from amlguard.cli import cli
from amlguard.scanner.sources.snapshot import read_snapshot
from tests import make_examples
from tests.conftest import EXAMPLES
from tests.emulator import arg
from tests.emulator.server import Emulator
from tests.examples_vwan import SUB_A, SUB_B, SUB_HUB, VWAN_DRIFTED_NOT_PASSING
from tests.scanner.harness import scan

TOKEN = "eyJhbGciOi.not-a-real-token.c2lnbmF0dXJl"
NAMES = ("virtual-wan.json", "virtual-wan-drifted.json")


def _rows(name: str) -> list[dict]:
    return list(json.loads((EXAMPLES / name).read_text(encoding="utf-8"))["data"])


def test_the_examples_are_registered_and_share_the_other_examples_subscriptions() -> None:
    assert set(NAMES) <= set(make_examples.ESTATES)
    assert (SUB_A, SUB_B, SUB_HUB) == (make_examples.SUB_A, make_examples.SUB_B,
                                       make_examples.SUB_HUB)  # fmt: skip


def test_the_example_wires_spokes_to_hubs_without_vnet_peering() -> None:
    rows = _rows("virtual-wan.json")
    types = [r["type"] for r in rows]
    assert types.count("microsoft.network/virtualhubs") == 2
    assert types.count("microsoft.network/virtualwans") == 1
    assert types.count("microsoft.network/virtualhubs/hubvirtualnetworkconnections") == 3
    for vnet in (r for r in rows if r["type"] == "microsoft.network/virtualnetworks"):
        names = [p["name"] for p in vnet["properties"]["virtualNetworkPeerings"]]
        assert [n.split("_")[0] for n in names] == ["RemoteVnetToHubPeering"]


def test_compliant_virtual_wan_passes_everything_naming_the_path() -> None:
    found = scan(_rows("virtual-wan.json"))
    assert found and {f.status.value for f in found} == {"pass"}
    zones = [f for f in found if f.rule_id == "AMLG-301"]
    assert len(zones) == 14  # 7 central zones x 2 spokes
    spoke_b = [f for f in zones if f.instance.endswith("/spoke-b-mlw")]
    assert all("hub-to-hub" in f.message and "vwan-core" in f.message for f in spoke_b)


def test_drifted_virtual_wan_fails_only_spoke_b_zones_saying_why() -> None:
    found = scan(_rows("virtual-wan-drifted.json"))
    bad = {(f.rule_id, f.instance.rsplit("/", 1)[-1], f.status.value)
           for f in found if f.status.value != "pass"}  # fmt: skip
    assert bad == VWAN_DRIFTED_NOT_PASSING
    fails = [f for f in found if f.status.value == "fail"]
    assert len(fails) == 7
    assert all("vwan-core is Basic" in f.message and "vhub-neu" in f.message for f in fails)


@pytest.fixture(params=NAMES)
def estate(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple]:
    monkeypatch.setenv("AMLGUARD_ACCESS_TOKEN", TOKEN)
    rows, _ = read_snapshot(EXAMPLES / request.param)
    with Emulator(rows) as emu:
        arg.install(emu)
        yield request.param, emu


def test_live_and_snapshot_findings_are_the_same(estate: tuple) -> None:
    name, emu = estate
    runner = CliRunner()
    live_args = ["--arm-endpoint", emu.url, "--ca-bundle", emu.ca_path, "--quiet"]
    live = runner.invoke(cli, ["check", "--format", "json", *live_args])
    offline = runner.invoke(cli, ["check", "--format", "json", "--snapshot", str(EXAMPLES / name)])
    assert live.exit_code == offline.exit_code == (0 if name == "virtual-wan.json" else 1), (
        live.output[-2000:]
    )
    findings = json.loads(live.stdout)["findings"]
    assert findings and findings == json.loads(offline.stdout)["findings"]
