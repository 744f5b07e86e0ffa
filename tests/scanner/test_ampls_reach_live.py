"""AMLG-250 live (redteam8 item 8): the hub-design AMPLS endpoint is judged from what a live scan
reads (real SDK clients against the emulator), as from a snapshot: the solution VNet's peerings
and the endpoint are read even when only AMLG-250 runs and only the spoke subscription is
scanned; a peering state that cannot be read is ``error``, never a pass."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from amlguard.scanner.model import Status
from amlguard.scanner.scan import run_scan
from tests.builders import Connectivity, Instance
from tests.builders_fix8b import hub_ampls, peering_to
from tests.emulator import arg
from tests.emulator.live import pack, source
from tests.emulator.server import Emulator

Row = dict[str, Any]


def _live(rows: list[Row], subscriptions: tuple[str, ...]) -> tuple[set[Status], list[str]]:
    rules = [r for r in pack().rules if r.id == "AMLG-250"]
    with Emulator(rows) as emu:
        arg.install(emu)
        result = run_scan(source(emu, subscriptions=subscriptions), pack(), rules)
    return {f.status for f in result.findings}, [f.message for f in result.findings]


def _endpoint_in_hub_subscription(inst: Instance, hub: Connectivity) -> list[Row]:
    """The estate with the AMPLS endpoint (and its zone group) in the hub's subscription."""
    pe = inst.endpoints["ampls"]
    old = pe["id"]
    new = old.replace(f"/subscriptions/{inst.sub}/", f"/subscriptions/{hub.sub}/")
    rows = json.loads(json.dumps(inst.rows() + hub.rows()).replace(old, new))
    for r in rows:
        r["subscriptionId"] = r["id"].split("/")[2]
    return list(rows)


@pytest.mark.parametrize(
    ("where", "scanned"), [("spoke", "spoke"), ("spoke", "both"), ("hub", "both")]
)
def test_the_hub_endpoint_passes_live(where: str, scanned: str) -> None:
    """The endpoint row in the spoke's or the hub's subscription, its subnet in the hub VNet."""
    inst, hub = hub_ampls()
    rows = (
        inst.rows() + hub.rows() if where == "spoke" else _endpoint_in_hub_subscription(inst, hub)
    )
    subs = (inst.sub,) if scanned == "spoke" else (inst.sub, hub.sub)
    statuses, messages = _live(rows, subs)
    assert statuses == {Status.PASS}, messages


def test_an_endpoint_in_a_subscription_the_scan_does_not_read_is_error() -> None:
    """The scope names it, the scan cannot read it: where it sits is unknown, never a pass
    (nor a fail: the endpoint may well be in the hub VNet). Scanning the hub's subscription
    too judges it (above)."""
    inst, hub = hub_ampls()
    statuses, messages = _live(_endpoint_in_hub_subscription(inst, hub), (inst.sub,))
    assert statuses == {Status.ERROR}, messages
    assert "blueprint-pe-ampls is not in the scanned inventory" in messages[0]


def _disconnect(inst: Instance, hub: Connectivity) -> None:
    peering_to(inst, hub)["properties"]["peeringState"] = "Disconnected"


def _no_state(inst: Instance, hub: Connectivity) -> None:
    peering_to(inst, hub)["properties"].pop("peeringState")


@pytest.mark.parametrize(
    ("change", "status"),
    [(_disconnect, Status.FAIL), (_no_state, Status.ERROR)],
    ids=["disconnected-fails", "unreadable-errs"],
)
def test_live_matches_the_snapshot_verdict(
    change: Callable[[Instance, Connectivity], None], status: Status
) -> None:
    inst, hub = hub_ampls()
    change(inst, hub)
    statuses, messages = _live(inst.rows() + hub.rows(), (inst.sub,))
    assert statuses == {status}, messages
