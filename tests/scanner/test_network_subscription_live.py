"""A workload subscription scanned alone while its endpoints, VNet, DNS zones and NICs live in a
network subscription (redteam6 item 8): the endpoints its resources' connections name are read
by id from the other subscription, so the scan judges what the full scan judges; an inbound
endpoint that cannot be read there is a gap (exit 3), never "no private endpoint" and skipped
DNS rules with exit 0."""

from __future__ import annotations

import json
from typing import Any

import pytest

from amlguard.scanner.model import ScanResult, Status
from tests.conftest import EXAMPLES
from tests.emulator import arg
from tests.emulator.live import scan, source
from tests.emulator.server import Emulator

WORK = "8f1c2a6e-3b4d-4e5f-9a0b-1c2d3e4f5a6b"
NET = "1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d"
MOVED = ("microsoft.network/", "microsoft.compute/")
MANAGED = "00000000-0000-0000-0000-000000000000"


def _split(name: str) -> list[dict[str, Any]]:
    """The example estate with every network and compute resource in the network subscription."""
    text = (EXAMPLES / name).read_text()
    rows = json.loads(text)["data"]
    moved = [r["id"] for r in rows if str(r["type"]).lower().startswith(MOVED)]
    for rid in sorted(moved, key=len, reverse=True):
        new = rid.replace(f"/subscriptions/{WORK}/resourceGroups/ml-secure-blueprint/",
                          f"/subscriptions/{NET}/resourceGroups/rg-net/")  # fmt: skip
        text = text.replace(json.dumps(rid)[1:-1], json.dumps(new)[1:-1])
    out = json.loads(text)["data"]
    for r in out:
        if str(r["id"]).startswith(f"/subscriptions/{NET}/"):
            r["subscriptionId"], r["resourceGroup"] = NET, "rg-net"
    return out


def _verdicts(result: ScanResult) -> list[tuple[str, str, str]]:
    return sorted((f.rule_id, f.resource_id.lower(), f.status.value) for f in result.findings)


@pytest.mark.parametrize("estate", ["drifted.json", "compliant.json"])
def test_workload_subscription_alone_judges_as_the_whole_tenant(estate: str) -> None:
    rows = _split(estate)
    with Emulator(rows) as emu:
        arg.install(emu)
        whole = scan(source(emu, subscriptions=(WORK, NET)))
        alone = scan(source(emu, subscriptions=(WORK,)))
        asked = {
            s.lower()
            for r in emu.requests("POST", "Microsoft.ResourceGraph")
            for s in r.body.get("subscriptions") or []
        }
    # the managed network's endpoints (Microsoft's subscription) are never asked for: no caller
    # can read them, and asking would make every managed-network estate a gap
    assert MANAGED not in asked and NET.lower() in asked
    assert alone.source.complete, [g.reason for g in alone.source.gaps]
    assert _verdicts(alone) == _verdicts(whole)
    if estate == "compliant.json":
        assert {f.status for f in alone.findings} <= {Status.PASS, Status.SKIPPED}


def test_an_unreadable_network_subscription_is_a_gap_not_a_pass() -> None:
    rows = _split("drifted.json")
    with Emulator(rows) as emu:
        arg.install(emu).forbidden.add(NET)
        alone = scan(source(emu, subscriptions=(WORK,)))
    assert not alone.source.complete
    assert any(NET in g.reason for g in alone.source.gaps), [g.reason for g in alone.source.gaps]
