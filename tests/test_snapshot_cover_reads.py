"""``read_for`` records every setting that decides what a snapshot read, and ``check_coverage``
refuses a snapshot that read less than the check needs (redteam9 REPORT #2, #4, #5): the roles
("all" explicitly), the integration selector, and whose computes were listed."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard.errors import InputError
from amlguard.scanner.sources.interface import Needs, SelectorRead
from amlguard.snapshotcover import ALL_ROLES, check_coverage, read_for

RA = "microsoft.authorization/roleassignments"
WS = "microsoft.machinelearningservices/workspaces"
COMPUTE = "microsoft.machinelearningservices/workspaces/computes"
COSMOS = "microsoft.documentdb/databaseaccounts"
OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"


def _header(record: dict[str, Any], resource_groups: list[str] | None = None) -> dict[str, Any]:
    scope = {"resource_groups": resource_groups or []}
    return {"rule_pack": {}, "scope": scope, "read_for": record}


def test_every_role_is_recorded_as_all_and_covers_any_role() -> None:
    every = read_for(Needs((WS, RA), (OWNER,), every_role=True), False)
    assert every["role_definition_ids"] == ALL_ROLES
    check_coverage(_header(every), Needs((RA,), ("abc",)), False, [])
    check_coverage(_header(every), Needs((RA,), every_role=True), False, [])
    # assignments not read at all: nothing is "all"
    assert read_for(Needs((WS,)), False)["role_definition_ids"] == []


def test_a_snapshot_of_one_role_is_refused_by_a_check_of_every_role() -> None:
    one = read_for(Needs((WS, RA), (OWNER,)), False)
    assert one["role_definition_ids"] == [OWNER]
    check_coverage(_header(one), Needs((RA,), (OWNER.upper(),)), False, [])
    with pytest.raises(InputError, match=r"role assignments of every role .*RT-002"):
        check_coverage(_header(one), Needs((RA,), (OWNER,), every_role=True), False, ["RT-002"])


def test_a_session_8_record_reads_an_empty_role_list_as_every_role() -> None:
    """Before 'all' was written, an empty list with role assignments read was a read of every
    role (the query's 'none named'): it stays accepted; a non-empty one read only those."""
    old = {"types": [WS, RA], "role_definition_ids": [], "deny_assignments": True}
    check_coverage(_header(old), Needs((WS, RA), every_role=True), False, [])
    old["role_definition_ids"] = [OWNER]
    with pytest.raises(InputError, match="every role"):
        check_coverage(_header(old), Needs((WS, RA), every_role=True), False, [])


def _selected(*ids: str, scope: str = "resource_group") -> Needs:
    return Needs((WS, COSMOS), selector=SelectorRead((COSMOS,), ids, scope))


def test_the_selector_is_recorded_and_a_narrower_one_refused() -> None:
    narrow = read_for(Needs((WS,), selector=SelectorRead(("a/b",))), False)
    assert narrow["integration_selector"] == {
        "types": ["a/b"],
        "ids": [],
        "scope": "resource_group",
    }
    with pytest.raises(InputError, match=COSMOS):
        check_coverage(_header(narrow), _selected(), False, [])
    wide = read_for(_selected("/s/x"), False)
    check_coverage(_header(wide), _selected("/S/X"), False, [])
    with pytest.raises(InputError, match="integration selector id /s/y"):
        check_coverage(_header(wide), _selected("/s/y"), False, [])
    # subscription-wide picks under a resource-group filter were not read by a group selector
    check_coverage(_header(wide), _selected(scope="subscription"), False, [])
    with pytest.raises(InputError, match="subscription-wide"):
        check_coverage(_header(wide, ["rg1"]), _selected(scope="subscription"), False, [])
    # no rule of the snapshot read integrated resources: the selector is null
    none = read_for(Needs((WS, COSMOS)), False)
    assert none["integration_selector"] is None
    check_coverage(_header(none), _selected(), False, [])
    with pytest.raises(InputError, match="integration selector id"):
        check_coverage(_header(none), _selected("/s/x"), False, [])


@pytest.mark.parametrize(
    "bad", ["x", 3, {"ids": "a", "scope": "resource_group"}, {"ids": [], "scope": "tenant"}]
)
def test_a_malformed_selector_record_is_refused(bad: Any) -> None:
    record = read_for(_selected(), False) | {"integration_selector": bad}
    with pytest.raises(InputError, match="integration_selector' is malformed"):
        check_coverage(_header(record), _selected(), False, [])


def test_computes_of_a_snapshot_that_does_not_say_whose_are_refused() -> None:
    record = read_for(Needs((WS, COMPUTE)), False)
    assert record["computes_of"] == "unmanaged"
    check_coverage(_header(record), Needs((WS, COMPUTE)), False, [])
    del record["computes_of"]
    with pytest.raises(InputError, match="computes of every workspace without a managed"):
        check_coverage(_header(record), Needs((WS, COMPUTE)), False, [])
    check_coverage(_header(record), Needs((WS,)), False, [])  # no compute judged
    record["types"].append(COMPUTE + "#every-workspace")  # every workspace's were listed
    check_coverage(_header(record), Needs((WS, COMPUTE)), False, [])


SELECTORS = st.one_of(
    st.none(),
    st.builds(
        SelectorRead,
        st.just((COSMOS,)),
        st.lists(st.sampled_from(["/s/a", "/S/A", "/s/b"]), max_size=2).map(tuple),
        st.sampled_from(["resource_group", "subscription"]),
    ),
)
NEEDS = st.builds(
    Needs,
    st.lists(st.sampled_from([WS, RA, COMPUTE, COSMOS]), max_size=4).map(tuple),
    st.lists(st.sampled_from([OWNER, "r2"]), max_size=2).map(tuple),
    st.booleans(),
    SELECTORS,
)


@settings(derandomize=True, max_examples=300, deadline=None)
@given(NEEDS, NEEDS, st.booleans())
def test_a_snapshot_covers_a_check_exactly_when_it_read_at_least_as_much(
    read: Needs, need: Needs, filtered: bool
) -> None:
    header = _header(read_for(read, False), ["rg"] if filtered else None)
    read_types, need_types = set(read.types), set(need.types)
    read_all = RA in read_types and not read.roles_to_read()
    roles_ok = read_all or (
        not (need.every_role and RA in read_types)
        and {r.lower() for r in need.role_definition_ids} <= set(read.role_definition_ids)
    )
    selector_ok = need.selector is None or (
        {i.lower() for i in need.selector.ids}
        <= {i.lower() for i in (read.selector.ids if read.selector else ())}
        and not (
            filtered
            and need.selector.scope == "subscription"
            and (read.selector is None or read.selector.scope != "subscription")
        )
    )
    covered = need_types <= read_types and roles_ok and selector_ok
    if covered:
        check_coverage(header, need, False, [])
    else:
        with pytest.raises(InputError, match="not read for"):
            check_coverage(header, need, False, [])


def test_a_snapshot_read_for_another_solution_subnet_is_refused() -> None:
    """A filtered scan reads the solution VNet's NICs and DNS outside its scope: the subnet
    the snapshot was read for must be the one the check judges."""
    subnet = (
        "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/virtualNetworks/v/subnets/a"
    )
    record = read_for(Needs((WS,), solution_subnet=subnet.lower()), False)
    assert record["solution_subnet"] == subnet.lower()
    check_coverage(_header(record), Needs((WS,), solution_subnet=subnet.lower()), False, [])
    with pytest.raises(InputError, match="solution subnet the check's config sets"):
        check_coverage(_header(record), Needs((WS,), solution_subnet=subnet + "b"), False, [])
    with pytest.raises(InputError, match="detected solution subnet"):
        check_coverage(_header(record), Needs((WS,)), False, [])
    del record["solution_subnet"]  # an older record: read for the detected subnet
    check_coverage(_header(record), Needs((WS,)), False, [])
    with pytest.raises(InputError, match="solution subnet"):
        check_coverage(_header(record), Needs((WS,), solution_subnet=subnet), False, [])
    with pytest.raises(InputError, match="solution_subnet' is malformed"):
        check_coverage(_header(record | {"solution_subnet": 3}), Needs((WS,)), False, [])
