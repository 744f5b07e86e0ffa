"""What a scan asks its source to read (redteam9 REPORT #2, #4, #5): every role's assignments
when any rule reads them unnarrowed, the integration selector's types when rules read
integrated resources, and the computes of every workspace that may be customer-VNet."""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard.scanner import inventory as inv
from amlguard.scanner.instances import InstanceSettings, IntegrationSelector
from amlguard.scanner.rules import Rule, load_rule_text
from amlguard.scanner.scan import needs_of
from amlguard.scanner.sources import childrows, kql
from amlguard.scanner.sources.interface import Needs
from tests.builders import blueprint, customer_vnet, project
from tests.scanner.harness import pack

OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
COSMOS = "microsoft.documentdb/databaseaccounts"


_BASE = """apiVersion: amlguard/v1
kind: Rules
rules:
  - id: RT-000
    name: rt-000
    severity: low
    title: t
    description: d
    target: workspace
    parameters:
      role: {type: string, default: "", description: a role}
    condition:
      count:
        related: roleAssignments
        with: {principal: "[instance().principalId]", scope: "[instance().id]"}
      equals: 0
    message: m
    remediation: {summary: s}
"""


def _rule(rule_id: str, role_arg: Any = None, **params: Any) -> Rule:
    """A rule counting ``roleAssignments`` (filtered on ``role_arg`` unless None); ``params``
    are its parameters' defaults."""
    (base,) = load_rule_text(_BASE, "test.yaml")
    raw = copy.deepcopy(base.raw)
    raw["id"] = rule_id
    if role_arg is not None:
        raw["condition"]["count"]["with"]["role"] = role_arg
    parameters = tuple(
        dataclasses.replace(base.parameters[0], name=k, default=v) for k, v in params.items()
    )
    return dataclasses.replace(base, id=rule_id, raw=raw, parameters=parameters)


def test_one_role_alone_narrows_the_read_to_it() -> None:
    needs = needs_of([_rule("RT-001", "[parameters('role')]", role=OWNER)])
    assert needs.role_definition_ids == (OWNER,) and not needs.every_role
    assert needs.roles_to_read() == (OWNER,)


def test_a_rule_reading_every_role_widens_the_read_for_all() -> None:
    """REPORT #2: RT-001 (Owner) beside RT-002 (no role) read only Owner's assignments."""
    one = _rule("RT-001", "[parameters('role')]", role=OWNER)
    for other in (
        _rule("RT-002"),  # no role filter
        _rule("RT-003", ""),  # an empty one
        _rule("RT-004", "[concat('a', 'b')]"),  # not known before the scan
        _rule("RT-005", "[parameters('role')]", role=""),  # a parameter left empty
        _rule("RT-006", "[parameters('nothere')]"),  # a parameter that is not there
        pack().get("AMLG-106"),  # roles judged by what they grant
    ):
        needs = needs_of([one, other])  # type: ignore[list-item]
        assert needs.every_role and needs.roles_to_read() == (), other
        assert inv.ROLE_ASSIGNMENT in needs.types
        assert "where tolower" not in kql.role_assignments(needs.roles_to_read())


def test_a_parameter_given_in_the_config_names_the_role() -> None:
    rule = _rule("RT-001", "[parameters('role')]", role=OWNER)
    needs = needs_of([rule], {"RT-001": {"role": "/providers/x/roleDefinitions/ABC"}})
    assert needs.role_definition_ids == ("abc",) and not needs.every_role


@settings(derandomize=True, max_examples=200, deadline=None)
@given(st.one_of(st.none(), st.text(max_size=40), st.integers(), st.lists(st.text(max_size=5))))
def test_any_role_text_reads_that_role_or_every_role(role: Any) -> None:
    """Whatever a rule writes as its role, the read is that one role or every role."""
    needs = needs_of([_rule("RT-001", role)])
    if needs.every_role:
        assert needs.roles_to_read() == ()
    else:
        assert isinstance(role, str) and not role.lstrip().startswith("[")
        (got,) = needs.role_definition_ids
        assert got and got == role.strip().rstrip("/").rsplit("/", 1)[-1].lower()


def _selector(*types: str, ids: tuple[str, ...] = (), scope: str = "resource_group") -> Any:
    return InstanceSettings(IntegrationSelector(ids=ids, types=types, scope=scope))


def test_the_selectors_types_are_read_when_a_rule_reads_integrated_resources() -> None:
    """REPORT #4: AMLG-104 judges every integrated resource, the Cosmos DB account included."""
    chosen = _selector("microsoft.cognitiveservices/accounts", COSMOS.upper(), ids=("/X/Y",))
    needs = needs_of([pack().get("AMLG-104")], settings=chosen)  # type: ignore[list-item]
    assert COSMOS in needs.types and needs.selector is not None
    assert needs.selector.types == ("microsoft.cognitiveservices/accounts", COSMOS)
    assert needs.selector.ids == ("/x/y",) and needs.selector.scope == "resource_group"
    # a rule that reads no integrated resource leaves the selector out
    plain = needs_of([pack().get("AMLG-101")], settings=chosen)  # type: ignore[list-item]
    assert COSMOS not in plain.types and plain.selector is None
    # a selector scope other than "subscription" is the resource group, as integration reads it
    odd = needs_of([pack().get("AMLG-104")], settings=_selector(COSMOS, scope="Subscription"))  # type: ignore[list-item]
    assert odd.selector is not None and odd.selector.scope == "resource_group"


def test_every_rule_that_reads_integrated_resources_asks_for_the_selector() -> None:
    """Which pack rules read integrated resources is taken from their YAML, not their ids."""
    chosen = _selector(COSMOS)
    reading = {r.id for r in pack().rules if needs_of([r], settings=chosen).selector is not None}
    assert {"AMLG-104", "AMLG-106", "AMLG-108", "AMLG-115", "AMLG-240", "AMLG-301"} <= reading
    assert {"AMLG-101", "AMLG-112", "AMLG-302"}.isdisjoint(reading)


def test_computes_are_listed_for_every_workspace_that_may_be_customer_vnet() -> None:
    """REPORT #5: not per ``network_isolation`` (a setting or a tag could judge it custom)."""
    plain = customer_vnet(blueprint()).workspace
    tagged = dict(plain, tags={"amlguard-network-isolation": "managed"})
    absent = customer_vnet(blueprint(prefix="b2"), absent=True).workspace
    managed = blueprint(prefix="b3").workspace
    proj = project(customer_vnet(blueprint(prefix="b4")), "p1")
    rows = [plain, tagged, absent, managed, proj]
    listed = childrows.listings(rows, [childrows.COMPUTE])
    assert [r["id"] for r, segment, *_ in listed if segment == "computes"] == [
        plain["id"],
        tagged["id"],
        absent["id"],
    ]
    every = childrows.listings(rows, [childrows.COMPUTE, childrows.ALL_COMPUTES])
    assert len(every) == len(rows)
    assert childrows.listings(rows, [inv.WORKSPACE]) == []


def test_needs_without_every_role_read_the_roles_named() -> None:
    assert Needs(("a",), ("r1",)).roles_to_read() == ("r1",)
    assert Needs(("a",), ("r1",), every_role=True).roles_to_read() == ()
