"""AMLG-301 keeps what one spoke worked out for the next spoke sharing its resolver or ruleset
(a ruleset pass per (rulesets, zone), a resolver's answering VNets per (zone, server)): a
spoke's verdicts must be exactly those it gets when it is scanned alone with the hub, whatever
the spokes judged before it found."""

from __future__ import annotations

from typing import Any

import pytest

from amlguard.scanner.model import Finding
from amlguard.scanner.unknown import Unknown
from tests.builders import (
    RESOLVER_IP,
    Connectivity,
    Instance,
    blueprint,
    connectivity,
    landing_zone,
)
from tests.scanner.harness import scan

Row = dict[str, Any]
SUBS = [f"00000000-0000-0000-0000-0000000000{i:02d}" for i in range(1, 7)]


def _estate(designs: list[str]) -> tuple[Connectivity, list[Instance]]:
    hub = connectivity()
    spokes = [
        landing_zone(blueprint(sub, f"ml-spoke-{i}", f"spoke-{i}"), hub, design)
        for i, (sub, design) in enumerate(zip(SUBS, designs, strict=False))
    ]
    return hub, spokes


def _verdicts(findings: list[Finding], instance: str) -> list[tuple[str, str, str]]:
    return sorted(
        (f.resource_id, f.status.value, f.message)
        for f in findings
        if f.rule_id == "AMLG-301" and f.instance == instance
    )


def _alone_and_together(hub: Connectivity, spokes: list[Instance]) -> None:
    hub_rows = hub.rows()
    together = scan(hub_rows + [r for s in spokes for r in s.rows()], rule_ids=["AMLG-301"])
    for spoke in spokes:
        alone = scan(hub_rows + spoke.rows(), rule_ids=["AMLG-301"])
        wid = spoke.workspace["id"]
        assert _verdicts(together, wid) == _verdicts(alone, wid) != []


def _peering(spoke: Instance, state: str) -> None:
    spoke.vnet["properties"]["virtualNetworkPeerings"][0]["properties"]["peeringState"] = state


@pytest.mark.parametrize(
    "designs",
    [
        ["resolver", "resolver", "ruleset", "ruleset", "firewall", "resolver"],
        ["ruleset", "resolver", "ruleset", "resolver", "ruleset", "firewall"],
    ],
)
def test_spokes_sharing_a_resolver_or_ruleset_are_judged_as_if_alone(designs: list[str]) -> None:
    hub, spokes = _estate(designs)
    # one resolver spoke whose peering to the hub is down fails; the others still pass
    broken = next(s for s, d in zip(spokes, designs, strict=False) if d == "resolver")
    _peering(broken, "Disconnected")
    _alone_and_together(hub, spokes)
    together = scan(hub.rows() + [r for s in spokes for r in s.rows()], rule_ids=["AMLG-301"])
    statuses = {s.prefix: {v[1] for v in _verdicts(together, s.workspace["id"])} for s in spokes}
    assert statuses[broken.prefix] == {"fail"}
    assert all(v == {"pass"} for p, v in statuses.items() if p != broken.prefix), statuses


def test_a_broken_shared_rule_fails_every_spoke_linked_to_the_ruleset() -> None:
    hub, spokes = _estate(["ruleset", "ruleset", "resolver"])
    name = next(iter(hub.rules))
    hub.rules[name]["properties"]["targetDnsServers"] = [{"ipAddress": "192.168.9.9"}]
    _alone_and_together(hub, spokes)
    together = scan(hub.rows() + [r for s in spokes for r in s.rows()], rule_ids=["AMLG-301"])
    for spoke in spokes[:2]:
        failed = [v for v in _verdicts(together, spoke.workspace["id"]) if v[1] == "fail"]
        assert [v[0].rsplit("/", 1)[-1] for v in failed] == [name], failed
        assert "192.168.9.9" in failed[0][2]


def test_a_malformed_shared_rule_errs_for_every_spoke_not_only_the_first() -> None:
    hub, spokes = _estate(["ruleset", "ruleset", "ruleset"])
    name = next(iter(hub.rules))
    hub.rules[name]["properties"]["forwardingRuleState"] = "Sometimes"
    together = scan(hub.rows() + [r for s in spokes for r in s.rows()], rule_ids=["AMLG-301"])
    for spoke in spokes:
        errors = [v for v in _verdicts(together, spoke.workspace["id"]) if v[1] == "error"]
        assert [v[0].rsplit("/", 1)[-1] for v in errors] == [name], errors
        assert "Sometimes" in errors[0][2]


def test_a_second_server_that_fails_fails_every_spoke() -> None:
    """Two DNS servers, the first resolving through the hub and the second not: every zone
    fails, for the first spoke asking and for the next alike."""
    hub, spokes = _estate(["resolver", "resolver"])
    for spoke in spokes:
        spoke.vnet["properties"]["dhcpOptions"] = {"dnsServers": [RESOLVER_IP, "192.168.7.7"]}
    _alone_and_together(hub, spokes)
    together = scan(hub.rows() + [r for s in spokes for r in s.rows()], rule_ids=["AMLG-301"])
    for spoke in spokes:
        assert {v[1] for v in _verdicts(together, spoke.workspace["id"])} == {"fail"}


def test_a_zone_link_to_an_unknown_vnet_is_judged_alike_for_every_spoke() -> None:
    """A template's link whose VNet is unknown before deployment may be any spoke's missing
    link: what it does to a verdict must not depend on which spoke asked first."""
    hub, spokes = _estate(["resolver", "ruleset", "resolver", "ruleset"])
    name = next(iter(hub.links))
    link = dict(hub.links[name])
    link["id"] = link["id"].rsplit("/", 1)[0] + "/planned-link"
    link["properties"] = {"virtualNetwork": {"id": Unknown("spoke:outputs.vnetId")}}
    hub.links["planned"] = link
    spokes[0].vnet["properties"]["dhcpOptions"] = {"dnsServers": [RESOLVER_IP, "192.168.7.7"]}
    hub.rules[name]["properties"]["targetDnsServers"] = [{"ipAddress": "192.168.9.9"}]
    _alone_and_together(hub, spokes)
    together = scan(hub.rows() + [r for s in spokes for r in s.rows()], rule_ids=["AMLG-301"])
    status = {
        s.prefix: next(v for v in _verdicts(together, s.workspace["id"]) if name in v[0])[1:]
        for s in spokes
    }
    # ruleset spokes: the rule does not resolve and the unknown link may be theirs (error);
    # spoke 0: its second server is nobody's, whichever VNet the link names (fail)
    assert status["spoke-0"][0] == "fail", status
    assert status["spoke-2"][0] == "pass", status
    for ruleset_spoke in ("spoke-1", "spoke-3"):
        assert status[ruleset_spoke][0] == "error", status
        assert "unknown" in status[ruleset_spoke][1].lower(), status
