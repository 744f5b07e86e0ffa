"""A firewall DNS proxy is one more candidate for its IP, judged by reach (redteam9 #7).

Address plans are reused between VNets that are not peered (a DR clone of the hub, sandbox
landing zones): a firewall in an unpeered clone on the hub resolver's IP must not capture the
spokes' queries. Each server on an IP (resolver, firewall to Azure DNS, DNS proxy, proxy in a
secured hub, firewall whose policy was not read) is a candidate; only those the client (the
spoke, the proxy's firewall, the ruleset's outbound endpoint) reaches are judged, and the zone
resolves when a reached one resolves it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import builders_fix8dns as b
from tests import builders_fix9reach as r

BAD = "10.100.9.9"  # a server nothing is linked behind


def _statuses(findings: list[b.Row]) -> set[str]:
    assert findings, "no AMLG-301 finding"
    return {f["status"] for f in findings}


@pytest.mark.parametrize("spoke", ["spoke-a-mlw", "spoke-b-mlw"])
@pytest.mark.parametrize("clone", ["proxy", "unread-policy", "resolver", "two-proxies"])
def test_a_dr_clone_on_the_resolvers_ip_changes_nothing(
    tmp_path: Path, spoke: str, clone: str
) -> None:
    """spoke-a asks 10.100.1.4 (custom DNS), spoke-b's ruleset forwards to it: the hub's
    resolver, which both reach; the clone is reached by neither."""
    rows = b.rows_of("landing-zone")
    if clone == "proxy":
        r.dr_proxy(rows, b.RESOLVER_IP, [BAD])
    elif clone == "unread-policy":
        r.dr_proxy(rows, b.RESOLVER_IP, [BAD], policy=False)
    elif clone == "resolver":
        r.dr_resolver(rows, b.RESOLVER_IP)
    else:
        r.dr_proxy(rows, b.RESOLVER_IP, [BAD])
        r.dr_proxy(rows, b.RESOLVER_IP, [b.RESOLVER_IP], name="afw-hub-dr2")
    findings = b.judge(tmp_path, rows, spoke)
    assert _statuses(findings) == {"pass"}, findings[0]["message"]
    assert all("in-hub (10.100.1.4) in VNet vnet-hub" in f["message"] for f in findings)
    assert not any("hub-dr" in f["message"] for f in findings)


def test_a_secured_hub_proxy_on_the_resolvers_ip_the_spoke_is_not_connected_to(
    tmp_path: Path,
) -> None:
    rows = b.rows_of("landing-zone")
    b.hub_firewall(rows, [BAD])
    b.named(rows, "afw-vhub-weu")["properties"]["hubIPAddresses"]["privateIPAddress"] = (
        b.RESOLVER_IP
    )
    for spoke in ("spoke-a-mlw", "spoke-b-mlw"):
        assert _statuses(b.judge(tmp_path, rows, spoke)) == {"pass"}


def _hub_proxy_to(rows: list[b.Row], servers: list[str]) -> None:
    """spoke-a asks the hub firewall afw-hub (10.100.2.4), whose DNS proxy forwards to
    ``servers``."""
    b.spoke_a_asks(rows, b.FIREWALL_IP)
    b.proxy_servers(rows, servers)


def test_of_two_proxies_on_one_ip_the_reached_one_answers(tmp_path: Path) -> None:
    """The clone's proxy is indexed after the hub's: it no longer takes the IP's only slot."""
    rows = b.rows_of("landing-zone")
    _hub_proxy_to(rows, [b.RESOLVER_IP])
    r.dr_proxy(rows, b.FIREWALL_IP, [BAD])
    findings = b.judge(tmp_path, rows)
    assert _statuses(findings) == {"pass"}, findings[0]["message"]
    assert all("afw-hub (10.100.2.4) in VNet vnet-hub" in f["message"] for f in findings)


def test_an_unreached_server_on_the_ip_does_not_rescue_the_reached_one(tmp_path: Path) -> None:
    rows = b.rows_of("landing-zone")
    _hub_proxy_to(rows, [BAD])
    r.dr_resolver(rows, b.FIREWALL_IP)
    r.link_zones_to_dr(rows)  # the clone's resolver would resolve every zone, if reached
    findings = b.judge(tmp_path, rows)
    assert _statuses(findings) == {"fail"}
    assert all(
        "afw-hub (10.100.2.4) in VNet vnet-hub (peered (Connected) to the solution VNet) "
        "forwards to 10.100.9.9" in f["message"]
        for f in findings
    )


def test_a_proxys_server_shared_with_a_clones_proxy_is_followed_to_the_resolver(
    tmp_path: Path,
) -> None:
    """The hub's proxy forwards to 10.100.1.4: the resolver there (which the hub reaches) is
    judged, not "another firewall DNS proxy" because an unpeered clone's proxy shares it."""
    rows = b.rows_of("landing-zone")
    _hub_proxy_to(rows, [b.RESOLVER_IP])
    r.dr_proxy(rows, b.RESOLVER_IP, [BAD])
    findings = b.judge(tmp_path, rows)
    assert _statuses(findings) == {"pass"}, findings[0]["message"]


def test_no_reached_candidate_names_the_first_as_before(tmp_path: Path) -> None:
    """spoke-a reaches neither the hub (its peering removed) nor the clone: a fail naming the
    hub's resolver, not the clone."""
    rows = b.rows_of("landing-zone")
    b.named(rows, "spoke-a-vnet")["properties"]["virtualNetworkPeerings"] = []
    r.dr_proxy(rows, b.RESOLVER_IP, [BAD])
    findings = b.judge(tmp_path, rows)
    assert _statuses(findings) == {"fail"}
    assert all(
        "in-hub (10.100.1.4) in VNet vnet-hub, which the solution VNet is not peered to"
        in f["message"]
        for f in findings
    )
