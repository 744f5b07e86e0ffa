"""A malformed row (a property of the wrong JSON type) never crashes a scan: every rule still
produces findings, and the engine never raises."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard.scanner.model import Status
from tests.builders import blueprint
from tests.scanner.harness import pack, scan

BASE = blueprint().rows()


def _paths(obj: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if prefix:
        yield prefix
    if isinstance(obj, dict):
        for key, value in obj.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(obj, list):
        for i, value in enumerate(obj):
            yield from _paths(value, (*prefix, i))


PLACES = [(i, p) for i, r in enumerate(BASE) for p in _paths(r)]
WRONG = [None, "", "x", True, 0, [], {}, [None], {"id": True}]


def _replace(rows: list[dict[str, Any]], index: int, path: tuple[Any, ...], value: Any) -> None:
    obj: Any = rows[index]
    for key in path[:-1]:
        obj = obj[key]
    obj[path[-1]] = value


@settings(max_examples=150, deadline=None)
@given(place=st.sampled_from(PLACES), value=st.sampled_from(WRONG))
def test_wrong_json_type_anywhere_never_crashes(
    place: tuple[int, tuple[Any, ...]], value: Any
) -> None:
    rows = copy.deepcopy(BASE)
    _replace(rows, place[0], place[1], value)
    findings = scan(rows)
    assert all(isinstance(f.status, Status) for f in findings)
    if place[0] == 0 and place[1] not in (("type",), ("id",)):
        # The workspace is still a workspace: every workspace rule reports on it.
        workspace_rules = [r.id for r in pack().rules if r.target["select"] == "workspace"]
        assert len(workspace_rules) == 11
        on_workspace = [f.rule_id for f in findings if f.resource_id == BASE[0]["id"]]
        assert set(workspace_rules) <= set(on_workspace)


def test_known_crashers_from_review() -> None:
    # Each of these raised AttributeError/TypeError inside the engine before the fix.
    cases = [
        (0, ("kind",), True),
        (0, ("properties", "primaryUserAssignedIdentity"), True),
        (0, ("properties", "privateEndpointConnections"), True),
        (0, ("properties", "privateEndpointConnections", 0, "properties", "privateEndpoint"), "x"),
        (6, ("tags",), "x"),
    ]
    for index, path, value in cases:
        rows = copy.deepcopy(BASE)
        _replace(rows, index, path, value)
        assert scan(rows), (path, value)
    rows = copy.deepcopy(BASE)
    for r in rows:
        if r["type"].endswith("privatednszonegroups"):
            r["properties"]["privateDnsZoneConfigs"] = [None, [], 0]
        if r["type"] == "microsoft.authorization/roleassignments":
            r["properties"]["roleDefinitionId"] = True
        if r["type"] == "microsoft.network/networkinterfaces":
            r["properties"]["ipConfigurations"][0]["properties"]["subnet"]["id"] = True
        if r["type"] == "microsoft.network/privateendpoints":
            r["properties"]["subnet"] = "x"
            r["properties"]["privateLinkServiceConnections"][0]["properties"][
                "privateLinkServiceConnectionState"
            ] = True
    assert scan(rows)
