"""build10's shortcuts in the inventory and instance build give what the general readings give.

- role assignments that carry their scope are kept as they are (``normalize_row`` only copied
  them), by the column build and the row-by-row build alike;
- ``inventorybulk.any_case`` remembers a dict's key sequence (the first key of each casing);
- the integration selector's scopes are read as keys; PrivateEndpoint outbound rules are read
  at their exact spelling first;
- an instance's principal and solution subnet are worked out on their first read.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard.scanner import ids, integration
from amlguard.scanner.instances import Instance, InstanceSettings, _principal, build_instances
from amlguard.scanner.inventory import ROLE_ASSIGNMENT, Inventory, normalize_row
from amlguard.scanner.inventorybulk import any_case
from amlguard.scanner.paths import get_key
from amlguard.scanner.solution import solution_subnet
from tests.builders import blueprint, role_assignment, unrelated
from tests.scanner.test_build_fastpaths import ID_TEXT, _general, _picture

SETTINGS = settings(derandomize=True, max_examples=150, deadline=None)

_SCOPE = st.sampled_from(["/subscriptions/s/resourceGroups/rg", "", None, 0, "/", " "])
_SCOPE_NAME = st.sampled_from(["scope", "Scope", "SCOPE"])


@st.composite
def _assignment(draw: st.DrawFn) -> dict[str, Any]:
    """A role assignment row in Resource Graph's shape, its scope there or not, in odd casings."""
    rid = draw(ID_TEXT) + "/providers/Microsoft.Authorization/roleAssignments/a"
    props: Any = {"principalId": draw(st.sampled_from(["p", "P", ""]))}
    for _ in range(draw(st.integers(0, 2))):
        props[draw(_SCOPE_NAME)] = draw(_SCOPE)
    props = draw(st.one_of(st.just(props), st.sampled_from([None, [], "x", {}])))
    row: dict[str, Any] = {"id": rid, "type": ROLE_ASSIGNMENT, "properties": props}
    if draw(st.integers(0, 9)):
        row.update(name="a", subscriptionId="s", resourceGroup="rg")
    if not draw(st.integers(0, 4)):
        row["Properties"] = {"scope": "/subscriptions/other"}  # a second casing
    return row


_OTHER = st.builds(
    lambda rid, group: {
        "id": rid,
        "type": "microsoft.storage/storageaccounts",
        "name": "n",
        "subscriptionId": "s",
        "resourceGroup": group,
    },
    ID_TEXT,
    st.sampled_from(["rg", "rg", ""]),
)


@SETTINGS
@given(st.lists(st.one_of(_assignment(), _OTHER), min_size=1, max_size=10))
def test_assignments_with_their_scope_are_kept_by_both_builds(rows: list[Any]) -> None:
    before = [dict(r) for r in rows]
    column = Inventory(rows)
    assert _picture(column, rows) == _picture(_general(rows), rows)
    assert rows == before  # the caller's rows are never changed
    winners = {ids.norm(row["id"]): row for row in rows}  # the later row with an id wins
    winners.pop("", None)  # a blank id is no row of the inventory
    for key, row in winners.items():  # and reads as normalize_row makes it
        assert column.by_id[key] == normalize_row(row)


def test_an_assignment_with_its_scope_is_the_callers_row() -> None:
    kept = role_assignment("/subscriptions/s/resourceGroups/rg", "p")
    kept.update(subscriptionId="s", resourceGroup="rg")
    bare = {**kept, "id": kept["id"] + "x", "properties": {"principalId": "q"}}
    inv = Inventory([kept, bare])
    assert inv.get(kept["id"]) is kept
    got = inv.get(bare["id"])
    assert got is not bare and got is not None
    assert got["properties"]["scope"] == "/subscriptions/s/resourceGroups/rg"


_KEY = st.sampled_from(["scope", "Scope", "SCOPE", "id", "İd", "ID", "other", "", "SCOPE "])


def _walk(obj: Any, key: str) -> Any:
    """any_case as it was: the first key equal to ``key`` lower-cased."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            if isinstance(k, str) and k.lower() == key.lower():
                return v
    return None


@SETTINGS
@given(
    st.one_of(
        st.dictionaries(st.one_of(_KEY, st.integers(0, 3)), st.integers(), max_size=6),
        st.dictionaries(st.text(max_size=3), st.integers(), min_size=25, max_size=30),
        st.sampled_from([None, [], "scope", 3]),
    ),
    _KEY,
)
def test_any_case_is_the_walk_first_time_and_remembered(obj: Any, key: str) -> None:
    for _ in range(2):
        assert any_case(obj, key) == _walk(obj, key)
    if isinstance(obj, dict):  # another dict with the same keys in the same order
        other = {k: ("v", k) for k in obj}
        assert any_case(other, key) == _walk(other, key)


def _old_scopes(selector: integration.IntegrationSelector, workspace_ids: list[str]) -> list[str]:
    scope_of = ids.subscription_scope if selector.scope == "subscription" else None
    scopes: dict[str, str] = {}
    for ws_id in workspace_ids:
        scope = scope_of(ws_id) if scope_of else ids.resource_group_scope(ws_id)
        scopes.setdefault(ids.norm(scope), scope)
    return [ids.norm(s) for s in scopes.values()]


@SETTINGS
@given(st.lists(ID_TEXT, max_size=4), st.sampled_from(["resource_group", "subscription"]))
def test_selector_scope_keys_are_the_scopes_keys(workspace_ids: list[str], scope: str) -> None:
    selector = integration.IntegrationSelector(scope=scope)
    assert integration._selector_scopes(selector, workspace_ids) == _old_scopes(
        selector, workspace_ids
    )


def _old_destinations(workspace: dict[str, Any]) -> tuple[list[str], list[str]]:
    at = integration.at
    rules = at(workspace, "properties", "managedNetwork", "outboundRules") or {}
    pe_rules = [
        r
        for r in (rules.values() if isinstance(rules, dict) else [])
        if str(at(r, "type") or "").lower() == "privateendpoint"
    ]
    user: list[str] = []
    dependency: list[str] = []
    for rule in pe_rules:
        category = str(at(rule, "category") or "").lower()
        if category == "dependency":
            out = dependency
        elif category in ("required", "recommended", "dependency"):
            continue
        else:
            out = user
        dest = at(rule, "destination", "serviceResourceId")
        if dest:
            out.append(dest if isinstance(dest, str) else str(dest))
    return user, dependency


_VALUE = st.sampled_from(
    [None, "", 0, "PrivateEndpoint", "privateendpoint", "FQDN", "Dependency", "UserDefined", 7]
)


@st.composite
def _rule(draw: st.DrawFn) -> Any:
    rule: dict[str, Any] = {}
    for name in ("type", "category"):
        for _ in range(draw(st.integers(0, 2))):
            rule[draw(st.sampled_from([name, name.upper(), name.title()]))] = draw(_VALUE)
    dest = {draw(st.sampled_from(["serviceResourceId", "ServiceResourceID"])): draw(ID_TEXT)}
    rule[draw(st.sampled_from(["destination", "Destination"]))] = draw(
        st.one_of(st.just(dest), st.sampled_from([None, "x", {}]))
    )
    return draw(st.one_of(st.just(rule), st.sampled_from([None, "x", []])))


@SETTINGS
@given(st.dictionaries(st.text(max_size=3), _rule(), max_size=4))
def test_destinations_are_the_old_reading(rules: dict[str, Any]) -> None:
    workspace = {"properties": {"managedNetwork": {"outboundRules": rules}}}
    assert integration._destinations(workspace) == _old_destinations(workspace)


def _eager(inv: Inventory, inst: Instance, shared: frozenset[str]) -> dict[str, Any]:
    """The settled-later fields as build_instance worked them out before build10."""
    own = [a for a in inst.associated.values() if ids.norm(a) not in shared]
    others = [a for a in inst.associated.values() if ids.norm(a) in shared]
    solved = solution_subnet(inv, inst.workspace, own, others)
    return {
        "principal_id": _principal(inst.workspace, inst.primary_identity),
        "solution_subnet": solved.subnet,
        "solution_vnet": (ids.vnet_of_subnet(solved.subnet) or None) if solved.subnet else None,
        "solution_problem": solved.problem,
        "solution_note": solved.why,
    }


def test_settled_later_fields_are_what_the_build_worked_out() -> None:
    one, two = blueprint(prefix="a", rg="rg-a"), blueprint(prefix="b", rg="rg-b")
    rows = one.rows() + two.rows() + unrelated("s", "rg-a", 2)
    inv = Inventory(rows)
    instances = build_instances(inv, InstanceSettings())
    assert len(instances) == 2
    for inst in instances:
        assert inst._pending is not None  # nothing read yet
        want = _eager(inv, inst, frozenset())
        assert inst.solution_vnet == want["solution_vnet"]  # one read settles them all
        assert inst._pending is None
        got = {name: getattr(inst, name) for name in want}
        assert got == want
        assert inst.solution_subnet and inst.principal_id  # a real blueprint has both
    # equality, copies and repr read every field
    assert dataclasses.replace(instances[0]) == instances[0]
    assert "solution_subnet=" in repr(instances[1])


def test_a_fixed_solution_subnet_is_the_settings() -> None:
    inst = blueprint()
    subnet = (
        "/subscriptions/s/resourceGroups/n/providers/Microsoft.Network/virtualNetworks/v/subnets/x"
    )
    (built,) = build_instances(Inventory(inst.rows()), InstanceSettings(solution_subnet=subnet))
    assert built.solution_subnet == subnet
    assert built.solution_vnet == subnet.rsplit("/subnets/", 1)[0]
    assert built.solution_problem is None and built.solution_note == ""


def test_an_unknown_attribute_is_still_an_attribute_error() -> None:
    (built,) = build_instances(Inventory(blueprint().rows()), InstanceSettings())
    assert not hasattr(built, "no_such_field")
    assert getattr(built, "principal_id") == get_key(  # noqa: B009 (the lazy read itself)
        built.workspace["identity"]["userAssignedIdentities"][built.primary_identity],
        "principalId",
    )
