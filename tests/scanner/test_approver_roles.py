"""AMLG-106 judges the approver role by its permissions (real-estates 4.2, estate c3)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard.scanner.approval import grants
from amlguard.scanner.model import Status
from tests.builders import (
    APPROVER_ROLE,
    blueprint,
    rid,
    role_assignment,
    role_definition,
    row,
)
from tests.conftest import FIXTURES
from tests.scanner.harness import all_pass, of_rule, only_flips, scan

CUSTOM = "0c0ffee0-0000-4000-8000-00000000c0de"
BUILTIN = FIXTURES / "authorization" / "builtin-roles" / f"{APPROVER_ROLE}.json"


def _builtin_row() -> dict:
    """The stored built-in role (41 actions) as an authorizationresources row."""
    body = json.loads(BUILTIN.read_text(encoding="utf-8"))
    rd = role_definition(APPROVER_ROLE, [])
    rd["properties"]["permissions"] = body["permissions"]
    rd["properties"]["roleName"] = body["roleName"]
    return rd


def _custom(actions: list[str], not_actions: tuple[str, ...] = ()):
    inst = blueprint()
    scope = f"/subscriptions/{inst.sub}/resourceGroups/{inst.rg}"
    inst.role_assignments = [role_assignment(scope, inst.principal_id, CUSTOM)]
    inst.extra.append(role_definition(CUSTOM, actions, not_actions, inst.sub))
    return inst


APPROVALS = [
    "Microsoft.Storage/storageAccounts/privateEndpointConnectionsApproval/action",
    "Microsoft.KeyVault/vaults/privateEndpointConnectionsApproval/action",
    "Microsoft.ContainerRegistry/registries/privateEndpointConnectionsApproval/action",
    "Microsoft.CognitiveServices/accounts/privateEndpointConnectionsApproval/action",
]


def test_custom_role_with_the_approval_actions_passes() -> None:
    all_pass(_custom(APPROVALS).rows())


def test_custom_role_with_wildcards_passes_and_not_actions_subtract() -> None:
    all_pass(_custom(["Microsoft.*/*/privateEndpointConnections/write"]).rows())
    inst = _custom(["*"], ("Microsoft.Storage/*",))
    f = only_flips(inst.rows(), "AMLG-106")
    assert list(f.offenders) == [inst.storage["id"]]


def test_custom_role_missing_one_type_fails_for_that_resource_only() -> None:
    inst = _custom(APPROVALS[1:])
    f = only_flips(inst.rows(), "AMLG-106")
    assert list(f.offenders) == [inst.storage["id"]]
    assert "does not cover" in f.message


def test_custom_role_without_its_definition_is_not_accepted() -> None:
    inst = _custom(APPROVALS)
    inst.extra = []  # the definition is not in the scan
    only_flips(inst.rows(), "AMLG-106")
    accepted = {"AMLG-106": {"accepted_roles": [APPROVER_ROLE, CUSTOM]}}
    all_pass(inst.rows(), parameters=accepted)


def test_evaluate_false_accepts_only_the_listed_roles() -> None:
    inst = _custom(APPROVALS)
    off = {"AMLG-106": {"evaluate_role_permissions": False}}
    only_flips(inst.rows(), "AMLG-106", parameters=off)


def test_builtin_role_definition_from_the_real_payload_covers_the_blueprint() -> None:
    inst = blueprint()
    inst.extra.append(_builtin_row())
    all_pass(inst.rows())


def test_builtin_role_that_does_not_cover_data_factory_fails() -> None:
    """c3 mlw-adf: the built-in role's definition grants nothing on Microsoft.DataFactory."""
    inst = blueprint()
    inst.extra.append(_builtin_row())
    adf = rid(inst.sub, inst.rg, "Microsoft.DataFactory/factories", "blueprint-adf")
    inst.extra.append(row(adf, "microsoft.datafactory/factories", properties={}))
    inst.workspace["properties"]["managedNetwork"]["outboundRules"]["allowAdf"] = {
        "type": "PrivateEndpoint",
        "category": "UserDefined",
        "status": "Active",
        "destination": {
            "serviceResourceId": adf,
            "subresourceTarget": "dataFactory",
            "sparkEnabled": True,
        },
    }
    findings = scan(inst.rows())
    f = of_rule(findings, "AMLG-106")[0]
    assert f.status is Status.FAIL and list(f.offenders) == [adf]
    # a scoped-down custom role covering Data Factory fixes it
    custom = "Microsoft.DataFactory/factories/privateEndpointConnectionProxies/*"
    inst.extra.append(
        role_definition(
            CUSTOM,
            [custom, "Microsoft.DataFactory/factories/privateEndpointConnections/write"],
            sub=inst.sub,
        )
    )
    inst.role_assignments.append(
        role_assignment(
            f"/subscriptions/{inst.sub}/resourceGroups/{inst.rg}", inst.principal_id, CUSTOM
        )
    )
    assert of_rule(scan(inst.rows()), "AMLG-106")[0].status is Status.PASS


@pytest.mark.parametrize(
    ("pattern", "action", "expected"),
    [
        ("*", "Microsoft.Storage/storageAccounts/privateEndpointConnections/write", True),
        ("microsoft.storage/*", "Microsoft.Storage/storageAccounts/x/write", True),
        ("Microsoft.Storage/*/read", "Microsoft.Storage/storageAccounts/write", False),
        ("Microsoft.Sto", "Microsoft.Storage/storageAccounts/write", False),
    ],
)
def test_wildcards(pattern: str, action: str, expected: bool) -> None:
    assert grants([{"actions": [pattern]}], action) is expected


@settings(derandomize=True, max_examples=80, deadline=None)
@given(
    st.recursive(
        st.none() | st.text(max_size=12) | st.integers(),
        lambda c: st.lists(c) | st.dictionaries(st.text(max_size=8), c),
        max_leaves=12,
    )
)
def test_any_permissions_shape_gives_a_boolean(permissions: object) -> None:
    assert grants(
        permissions, "Microsoft.Storage/storageAccounts/privateEndpointConnections/write"
    ) in (True, False)
