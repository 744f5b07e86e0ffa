"""Virtual WAN hubs carry the spoke-to-DNS traffic only once provisioned (redteam10a #3): a hub
whose ``provisioningState`` or ``routingState`` failed is no path (AMLG-301 fails naming it),
one in flux is ``error``; the WAN's state counts across hubs. virtual-wan.json: spoke-a sits on
the DNS VNet's hub (vhub-weu), spoke-b on the other hub (vhub-neu, hub-to-hub)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.builders_fix8dns import judge, rows_of
from tests.builders_fix10net import named, set_state


def _verdicts(tmp_path: Path, rows: list[dict[str, Any]]) -> dict[str, Counter[str]]:
    return {
        i: Counter(f["status"] for f in judge(tmp_path, rows, i))
        for i in ("spoke-a-mlw", "spoke-b-mlw")
    }


def test_the_example_passes(tmp_path: Path) -> None:
    assert all(
        c == Counter({"pass": 7}) for c in _verdicts(tmp_path, rows_of("virtual-wan")).values()
    )


@pytest.mark.parametrize(
    ("key", "state", "status"),
    [
        ("provisioningState", "Failed", "fail"),
        ("provisioningState", "Deleting", "fail"),
        ("provisioningState", "Updating", "error"),
        ("routingState", "Failed", "fail"),
        ("routingState", "Provisioning", "error"),
        ("routingState", None, "error"),
    ],
)
def test_the_dns_hub_is_judged_by_its_states(
    tmp_path: Path, key: str, state: Any, status: str
) -> None:
    rows = rows_of("virtual-wan")
    set_state(named(rows, "vhub-weu"), state, key)
    found = _verdicts(tmp_path, rows)
    assert found == {"spoke-a-mlw": Counter({status: 7}), "spoke-b-mlw": Counter({status: 7})}
    messages = [f["message"] for f in judge(tmp_path, rows, "spoke-a-mlw")]
    assert all("vhub-weu" in m for m in messages), messages[:1]


@pytest.mark.parametrize("state", ["Provisioned", " provisioned ", ...])
def test_a_provisioned_or_unstated_router_keeps_the_pass(tmp_path: Path, state: Any) -> None:
    rows = rows_of("virtual-wan")
    for hub in ("vhub-weu", "vhub-neu"):
        set_state(named(rows, hub), state, "routingState")
    assert all(c == Counter({"pass": 7}) for c in _verdicts(tmp_path, rows).values())


@pytest.mark.parametrize(("state", "status"), [("Failed", "fail"), ("Updating", "error")])
def test_a_wan_that_failed_stops_hub_to_hub_only(tmp_path: Path, state: str, status: str) -> None:
    rows = rows_of("virtual-wan")
    set_state(named(rows, "vwan-core"), state)
    found = _verdicts(tmp_path, rows)
    assert found == {"spoke-a-mlw": Counter({"pass": 7}), "spoke-b-mlw": Counter({status: 7})}


@pytest.mark.parametrize(
    ("name", "key", "state", "status"),
    [
        ("afw-vhub-weu", "provisioningState", "Failed", "fail"),
        ("afwp-vhub", "provisioningState", "Canceled", "fail"),
        ("afw-vhub-weu", "provisioningState", "Updating", "error"),
        ("vhub-weu", "routingState", "Failed", "fail"),
        ("afw-vhub-weu", "provisioningState", "Succeeded", "pass"),
    ],
)
def test_a_secured_hub_dns_proxy_is_judged_by_its_states(
    tmp_path: Path, name: str, key: str, state: str, status: str
) -> None:
    from tests import builders_fix8dns as b

    rows = rows_of("virtual-wan")
    b.hub_firewall(rows, [b.RESOLVER_IP])
    b.spoke_a_asks(rows, b.HUB_FIREWALL_IP)
    assert _verdicts(tmp_path, rows)["spoke-a-mlw"] == Counter({"pass": 7})  # the control
    set_state(named(rows, name), state, key)
    found = judge(tmp_path, rows, "spoke-a-mlw")
    assert Counter(f["status"] for f in found) == Counter({status: 7})
    if status != "pass":
        assert all(name in f["message"] for f in found), found[0]["message"]
