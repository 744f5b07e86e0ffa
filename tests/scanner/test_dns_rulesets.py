"""AMLG-301 with a DNS forwarding ruleset (real-estates 4.2 case c), as Azure applies it.

Red-team findings on the landing-zone example (spoke B resolves through ruleset dnsfrs-spokes):
a broken specific rule was rescued by a working broader one (exit 0 on broken DNS); the
wildcard rule ``.`` was ignored; a spoke linked to the ruleset but not peered to the hub failed
although the query leaves through the resolver's outbound endpoint (no peering needed).
"""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard.scanner.model import Status
from amlguard.scanner.sources.snapshot import read_snapshot
from tests.conftest import EXAMPLES
from tests.scanner.harness import scan

_ROWS, _ = read_snapshot(EXAMPLES / "landing-zone.json")
RULE = "microsoft.network/dnsforwardingrulesets/forwardingrules"
RESOLVER_IP = "10.100.1.4"


def _rows() -> list[dict[str, Any]]:
    return copy.deepcopy(_ROWS)


def _rules(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in rows if str(r["type"]).lower() == RULE]


def _rule(
    template: dict[str, Any], name: str, domain: str, ip: str, state: str = "Enabled"
) -> dict[str, Any]:
    row = copy.deepcopy(template)
    row["id"] = template["id"].rsplit("/", 1)[0] + "/" + name
    row["name"] = name
    row["properties"] = {
        "domainName": domain,
        "targetDnsServers": [{"ipAddress": ip, "port": 53}],
        "forwardingRuleState": state,
    }
    return row


def _301(rows: list[dict[str, Any]]) -> dict[str, str]:
    """zone name -> worst status of AMLG-301 on spoke B's workspace."""
    out: dict[str, str] = {}
    for f in scan(rows, rule_ids=["AMLG-301"]):
        if "spoke-b" in f.instance.lower() or "ml-spoke-b" in f.instance.lower():
            zone = f.resource_id.rsplit("/", 1)[-1].lower()
            if out.get(zone) != "fail":
                out[zone] = f.status.value
    return out


def test_the_example_passes() -> None:
    verdicts = _301(_rows())
    assert verdicts and set(verdicts.values()) == {"pass"}, verdicts


def test_the_most_specific_rule_wins_even_when_it_is_broken() -> None:
    rows = _rows()
    vault = next(r for r in _rules(rows) if "vaultcore" in r["properties"]["domainName"])
    vault["properties"]["targetDnsServers"] = [{"ipAddress": "192.168.50.5", "port": 53}]
    # the wildcard: a parent such as azure.net. is a rule for the public name vault.azure.net,
    # which decides the name clients query (redteam10a #9, test_dns_public_rule.py)
    rows.append(_rule(vault, "everything", ".", RESOLVER_IP))
    verdicts = _301(rows)
    assert verdicts["privatelink.vaultcore.azure.net"] == "fail", verdicts
    assert verdicts["privatelink.notebooks.azure.net"] == "pass"
    failing = [
        f
        for f in scan(rows, rule_ids=["AMLG-301"])
        if f.status is Status.FAIL and "vaultcore" in f.resource_id.lower()
    ]
    assert all("most specific" in f.message and "192.168.50.5" in f.message for f in failing)


def test_the_wildcard_rule_forwards_every_zone() -> None:
    rows = _rows()
    template = _rules(rows)[0]
    rows = [r for r in rows if str(r["type"]).lower() != RULE]
    rows.append(_rule(template, "everything", ".", RESOLVER_IP))
    verdicts = _301(rows)
    assert verdicts and set(verdicts.values()) == {"pass"}, verdicts


def test_a_disabled_specific_rule_falls_back_to_the_broader_one() -> None:
    rows = _rows()
    template = _rules(rows)[0]
    for r in _rules(rows):
        r["properties"]["forwardingRuleState"] = "Disabled"
    rows.append(_rule(template, "everything", ".", RESOLVER_IP))
    assert set(_301(rows).values()) == {"pass"}


def test_a_linked_spoke_needs_no_peering_to_the_resolver() -> None:
    rows = _rows()
    for row in rows:
        props = row.get("properties") or {}
        peerings = props.get("virtualNetworkPeerings")
        if not isinstance(peerings, list):
            continue
        if "spoke-b-vnet" in row["id"].lower():
            props["virtualNetworkPeerings"] = []  # spoke B's side
        else:  # the hub's side
            props["virtualNetworkPeerings"] = [
                p for p in peerings if "spoke-b" not in str(p).lower()
            ]
    verdicts = _301(rows)
    assert verdicts and set(verdicts.values()) == {"pass"}, verdicts


@settings(derandomize=True, max_examples=25, deadline=None)
@given(
    broad=st.sampled_from([".", "net.", "azure.net.", "vaultcore.azure.net."]),
    specific_ok=st.booleans(),
)
def test_precedence_property(broad: str, specific_ok: bool) -> None:
    """The wildcard never outweighs the vault zone's own specific rule; a parent of its public
    name (net., azure.net., vaultcore.azure.net.) is the rule for the name clients query
    (redteam10a #9): it decides, and here it forwards to the resolver, so the zone resolves."""
    rows = _rows()
    vault = next(r for r in _rules(rows) if "vaultcore" in r["properties"]["domainName"])
    if not specific_ok:
        vault["properties"]["targetDnsServers"] = [{"ipAddress": "192.168.50.5", "port": 53}]
    rows.append(_rule(vault, "broad", broad, RESOLVER_IP))
    expected = "pass" if specific_ok or broad != "." else "fail"
    assert _301(rows)["privatelink.vaultcore.azure.net"] == expected
