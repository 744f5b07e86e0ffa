"""AMLG-301 (c): a forwarding rule for the zone's public name decides the name clients query
(redteam10a #9). spoke-b of the landing zone resolves through ruleset ``dnsfrs-spokes``, whose
privatelink rules send the zones to the hub's inbound endpoint; a rule for
``blob.core.windows.net.`` (or ``core.windows.net.``, ``windows.net.``) is more specific for
``acct.blob.core.windows.net`` and sends it elsewhere before the CNAME into the zone is seen."""

from __future__ import annotations

from typing import Any

import pytest

from amlguard.scanner import publicnames
from amlguard.scanner.model import Status
from tests.builders_fix8dns import HUB_VNET
from tests.builders_fix10net import RESOLVER_IP, add_rule, landing_zone
from tests.scanner.harness import scan

ON_PREM = "10.50.0.4"


def _spoke_b(rows: list[dict[str, Any]], **kw: Any) -> dict[str, Any]:
    found = scan(rows, rule_ids=["AMLG-301"], **kw)
    spoke_a = [f for f in found if f.instance.endswith("spoke-a-mlw")]
    assert spoke_a and {f.status for f in spoke_a} == {Status.PASS}  # it asks the resolver
    return {
        f.resource_id.rsplit("/", 1)[-1]: f for f in found if f.instance.endswith("spoke-b-mlw")
    }


def _failing(found: dict[str, Any]) -> set[str]:
    assert {f.status for f in found.values()} <= {Status.PASS, Status.FAIL}
    return {name for name, f in found.items() if f.status is Status.FAIL}


@pytest.mark.parametrize(
    ("domain", "target", "zones"),
    [
        ("blob.core.windows.net.", "8.8.8.8", {"privatelink.blob.core.windows.net"}),
        ("BLOB.core.windows.NET", "8.8.8.8", {"privatelink.blob.core.windows.net"}),
        (
            "core.windows.net.",
            ON_PREM,
            {"privatelink.blob.core.windows.net", "privatelink.file.core.windows.net"},
        ),
        (
            "windows.net.",
            ON_PREM,
            {"privatelink.blob.core.windows.net", "privatelink.file.core.windows.net"},
        ),
        ("vault.azure.net.", "8.8.8.8", {"privatelink.vaultcore.azure.net"}),
        ("api.azureml.ms.", "8.8.8.8", {"privatelink.api.azureml.ms"}),
    ],
)
def test_a_rule_for_the_public_name_that_does_not_resolve_fails_the_zone(
    domain: str, target: str, zones: set[str]
) -> None:
    rows = landing_zone()
    add_rule(rows, "public", domain, target)
    found = _spoke_b(rows)
    assert _failing(found) == zones
    for zone in zones:
        message = found[zone].message
        assert "rule public" in message and "the public name clients query" in message
        assert target in message


def test_a_rule_for_the_public_name_to_the_inbound_endpoint_resolves() -> None:
    rows = landing_zone()
    add_rule(rows, "public", "blob.core.windows.net.", RESOLVER_IP)
    found = _spoke_b(rows)
    assert not _failing(found)
    assert "the public name blob.core.windows.net" in (
        found["privatelink.blob.core.windows.net"].message
    )


def test_a_trusted_server_for_the_public_name_resolves() -> None:
    rows = landing_zone()
    add_rule(rows, "public", "core.windows.net.", ON_PREM)
    assert _failing(_spoke_b(rows))  # the control: an unknown on-premises server
    trusted = {"AMLG-301": {"trusted_dns_servers": [{"ip": ON_PREM, "vnet": HUB_VNET}]}}
    assert not _failing(_spoke_b(rows, parameters=trusted))


@pytest.mark.parametrize(
    ("domain", "state"),
    [
        ("blob.core.windows.net.", "Disabled"),  # a Disabled rule decides nothing
        (".", "Enabled"),  # the wildcard: the privatelink rules are more specific
        ("spokebst.blob.core.windows.net.", "Enabled"),  # one host: not judged (see dnspublic)
        ("privatelink.core.windows.net.", "Enabled"),  # not a parent of the public name
        ("indows.net.", "Enabled"),  # a suffix of the text, not a parent domain
    ],
)
def test_rules_that_are_not_for_the_public_name_change_nothing(domain: str, state: str) -> None:
    rows = landing_zone()
    add_rule(rows, "other", domain, "8.8.8.8", state=state)
    assert not _failing(_spoke_b(rows))


def test_the_public_rule_beats_a_working_privatelink_rule_and_a_broken_one_is_named() -> None:
    rows = landing_zone()
    add_rule(rows, "broad", "core.windows.net.", RESOLVER_IP)
    add_rule(rows, "narrow", "blob.core.windows.net.", "8.8.8.8")
    found = _spoke_b(rows)
    assert _failing(found) == {"privatelink.blob.core.windows.net"}
    assert "rule narrow" in found["privatelink.blob.core.windows.net"].message
    assert "rule broad" in found["privatelink.file.core.windows.net"].message


def test_the_table_gives_public_names_only_where_microsoft_does() -> None:
    assert publicnames.of("privatelink.blob.core.windows.net.") == ("blob.core.windows.net",)
    assert publicnames.of("PRIVATELINK.vaultcore.azure.net") == (
        "vault.azure.net",
        "vaultcore.azure.net",
    )
    assert publicnames.of("privatelink.openai.azure.us") == ()  # not on the page: no guess
    assert publicnames.of("privatelink.azurecr.cn") == ()
    assert publicnames.covers("core.windows.net", "blob.core.windows.net")
    assert not publicnames.covers("", "blob.core.windows.net")
    assert not publicnames.covers("ore.windows.net", "blob.core.windows.net")


def test_every_zone_of_the_private_link_table_is_listed_or_said_unknown() -> None:
    from amlguard.scanner.privatelink import default_table

    table = default_table()
    unknown = {
        "privatelink.openai.azure.us",
        "privatelink.cognitiveservices.azure.cn",
        "privatelink.openai.azure.cn",
        "privatelink.search.azure.cn",
        "privatelink.azurecr.cn",
    }
    zones = {
        z
        for entry in table._entries
        for clouds in entry.groups.values()
        for names in clouds.values()
        for z in names
    }
    assert zones
    for zone in zones:
        assert bool(publicnames.of(zone)) is (zone not in unknown), zone
