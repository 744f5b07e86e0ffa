"""What a scan asks its source for (needs_of) and which rules it runs (select_rules)."""

from __future__ import annotations

import pytest

from amlguard.errors import InputError
from amlguard.scanner import inventory as inv
from amlguard.scanner.model import Severity
from amlguard.scanner.scan import needs_of, select_rules
from tests.scanner.harness import pack


def test_full_pack_needs_every_row_kind_it_reads() -> None:
    needs = needs_of(pack().rules)
    for rtype in (
        inv.WORKSPACE,
        inv.PRIVATE_ENDPOINT,
        inv.DNS_ZONE_GROUP,
        inv.DNS_ZONE,
        inv.VNET_LINK,
        inv.NIC,
        inv.ROLE_ASSIGNMENT,
        "microsoft.storage/storageaccounts",
        "microsoft.keyvault/vaults",
        "microsoft.containerregistry/registries",
        "microsoft.insights/components",
        "microsoft.cognitiveservices/accounts",
    ):
        assert rtype in needs.types, rtype
    # AMLG-106 judges roles by their permissions: every assignment, and the role definitions
    assert (
        needs.role_definition_ids == () and "microsoft.authorization/roledefinitions" in needs.types
    )
    assert list(needs.types) == sorted(needs.types)


def test_one_rule_needs_little() -> None:
    needs = needs_of([pack().get("AMLG-101")])  # type: ignore[list-item]
    assert set(needs.types) == {inv.WORKSPACE, inv.PRIVATE_ENDPOINT}
    assert needs.role_definition_ids == ()


def test_role_parameter_does_not_narrow_what_is_fetched() -> None:
    """A custom role can approve too: the assignments of every role are read."""
    other = (
        "/providers/Microsoft.Authorization/roleDefinitions/ABCDEF00-0000-0000-0000-000000000000"
    )
    needs = needs_of(pack().rules, {"AMLG-106": {"role_definition_id": other}})
    assert needs.role_definition_ids == ()
    assert inv.ROLE_ASSIGNMENT in needs.types


def test_select_rules() -> None:
    p = pack()
    assert [r.id for r in select_rules(p, ["amlg-104", "AMLG-301"])] == ["AMLG-104", "AMLG-301"]
    high = select_rules(p, (), Severity.HIGH)
    assert high and all(r.severity >= Severity.HIGH for r in high)
    assert len(select_rules(p, ())) == len(p.rules)
    # a default scan leaves the opt-in (hardening) rules out, but for those on by default
    # somewhere (default_on_when): they stay, limited to the instances their condition names
    default = select_rules(p)
    expected = [r for r in p.rules if "hardening" not in r.tags or r.default_on_when]
    assert expected == default != p.rules
    assert all((r.runs_only_when is not None) == ("hardening" in r.tags) for r in default)
    with pytest.raises(InputError, match="unknown rule id\\(s\\): AMLG-999"):
        select_rules(p, ["AMLG-101", "AMLG-999"])
