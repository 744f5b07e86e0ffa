"""Live scans judge network reach as snapshots do (redteam9 #8, #11, #7): real SDK clients
against the emulator, AMLG-301 per instance and zone, the same statuses and messages as
``check --snapshot`` of the same rows. For Virtual WAN custom route tables the live scan lists
the hubs' ``hubRouteTables`` (not in Resource Graph) that connections are associated with."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from amlguard.cli import cli
from amlguard.scanner.scan import run_scan
from tests import builders_fix8dns as b
from tests import builders_fix9reach as r
from tests.emulator import arg
from tests.emulator.live import pack, source
from tests.emulator.server import Emulator


def _key(instance: str, resource: str) -> tuple[str, str]:
    return instance.lower(), resource.lower()


def _live(rows: list[b.Row]) -> dict[tuple[str, str], tuple[str, str]]:
    rules = [x for x in pack().rules if x.id == "AMLG-301"]
    with Emulator(rows) as emu:
        arg.install(emu)
        result = run_scan(source(emu), pack(), rules)
    return {
        _key(f.instance or "", f.resource_id): (f.status.value, f.message) for f in result.findings
    }


def _snapshot(tmp_path: Path, rows: list[b.Row]) -> dict[tuple[str, str], tuple[str, str]]:
    path = b.write(tmp_path, rows)
    result = CliRunner().invoke(
        cli, ["check", "--snapshot", str(path), "--rule", "AMLG-301", "--format", "json"]
    )
    findings = json.loads(result.stdout)["findings"]
    return {_key(f["instance"], f["resource_id"]): (f["status"], f["message"]) for f in findings}


def _blocked_leg(rows: list[b.Row]) -> None:
    for peering in b.named(rows, "spoke-a-vnet")["properties"]["virtualNetworkPeerings"]:
        peering["properties"]["allowVirtualNetworkAccess"] = False


def _isolated_with_table(rows: list[b.Row]) -> None:
    r.isolate_spoke_a(rows)
    r.route_table(rows, r.RT_SPOKES, ["spokes"])


CASES = {
    "peering-blocked": ("landing-zone", _blocked_leg, "fail"),
    "dr-clone-proxy": ("landing-zone", lambda rows: r.dr_proxy(rows, b.RESOLVER_IP, ["10.100.9.9"]), "pass"),
    "vwan-isolated": ("virtual-wan", _isolated_with_table, "fail"),
    "vwan-isolated-unread": ("virtual-wan", r.isolate_spoke_a, "error"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(CASES))
def test_live_equals_snapshot(tmp_path: Path, case: str) -> None:
    example, change, spoke_a = CASES[case]
    rows = b.rows_of(example)
    change(rows)
    live, snap = _live(rows), _snapshot(tmp_path, rows)
    assert live == snap
    statuses = {s for (inst, _z), (s, _m) in snap.items() if inst.endswith("/spoke-a-mlw")}
    assert statuses == {spoke_a}
