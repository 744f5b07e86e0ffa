"""AMLG-301 through a forwarding ruleset (redteam8 item 1, second half): the ruleset's outbound
endpoint sends the query, so its VNet (the outbound endpoint's resolver's) must reach the VNet of
the target that answers; the solution VNet need not. What says where the query leaves from (the
ruleset, its outbound endpoints' resolvers) unread is an ``error``."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import builders_fix8dns as b

RULESET = "dnsfrs-spokes"


def _spoke_b(tmp_path: Path, rows: list[b.Row]) -> list[b.Row]:
    findings = b.judge(tmp_path, rows, "spoke-b-mlw")
    assert len(findings) == 7
    return findings


def _estate(peered: bool) -> list[b.Row]:
    rows = b.rows_of("landing-zone")
    b.rules_forward_to_iso(rows, peered)
    return rows


def test_a_target_the_outbound_endpoint_cannot_reach_fails(tmp_path: Path) -> None:
    findings = _spoke_b(tmp_path, _estate(peered=False))
    assert {f["status"] for f in findings} == {"fail"}
    assert all(
        "in-iso (10.250.0.4) in VNet vnet-iso, which the VNet of the ruleset's outbound endpoint "
        "(vnet-hub) is not peered to" in f["message"]
        for f in findings
    )


def test_a_target_in_a_vnet_peered_to_the_outbound_endpoint_resolves(tmp_path: Path) -> None:
    findings = _spoke_b(tmp_path, _estate(peered=True))
    assert {f["status"] for f in findings} == {"pass"}
    assert all(f["message"].endswith("in-iso (10.250.0.4) in VNet vnet-iso, which is linked to "
                                     "the zone.") for f in findings)  # fmt: skip


@pytest.mark.parametrize("unread", ["ruleset", "resolver", "no endpoint"])
def test_where_the_query_leaves_from_unread_is_an_error(tmp_path: Path, unread: str) -> None:
    rows = _estate(peered=True)
    if unread == "ruleset":
        rows = b.without(rows, RULESET)
    elif unread == "resolver":  # the outbound endpoint's resolver (also spoke-a's)
        rows = b.without(rows, "dnspr-hub")
    else:
        b.named(rows, RULESET)["properties"]["dnsResolverOutboundEndpoints"] = []
    findings = _spoke_b(tmp_path, rows)
    assert {f["status"] for f in findings} == {"error"}
    assert all(RULESET in f["message"] for f in findings)


def test_the_landing_zone_example_still_resolves_with_the_same_words(tmp_path: Path) -> None:
    findings = _spoke_b(tmp_path, b.rows_of("landing-zone"))
    assert {f["status"] for f in findings} == {"pass"}
    assert all("in-hub (10.100.1.4) in VNet vnet-hub, which is linked to the zone." in f["message"]
               for f in findings)  # fmt: skip
