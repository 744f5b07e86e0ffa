"""AMLG-106 and deny assignments (redteam5 defect 19): a deny assignment that denies the
workspace identity the approval actions at a resource's scope beats the approver role."""

from __future__ import annotations

from typing import Any

import pytest

from amlguard.scanner.model import Status
from tests.builders import Instance, Row, blueprint
from tests.scanner.harness import of_rule, scan

EVERYONE = "00000000-0000-0000-0000-000000000000"
APPROVAL = ["*/privateEndpointConnectionsApproval/action", "*/privateEndpointConnections/write"]


def deny_assignment(
    scope: str,
    principals: list[dict[str, Any]],
    actions: list[str] | None = None,
    not_actions: tuple[str, ...] = (),
    exclude: list[dict[str, Any]] | None = None,
    children: bool = True,
    name: str = "block-pe-approval",
) -> Row:
    """A deny assignment row as the Authorization REST API lists it."""
    return {
        "id": f"{scope}/providers/Microsoft.Authorization/denyAssignments/1111-{name}",
        "name": f"1111-{name}",
        "type": "microsoft.authorization/denyassignments",
        "properties": {
            "denyAssignmentName": name,
            "scope": scope,
            "permissions": [
                {
                    "actions": APPROVAL if actions is None else actions,
                    "notActions": list(not_actions),
                }
            ],
            "principals": principals,
            "excludePrincipals": exclude or [],
            "doNotApplyToChildScopes": not children,
        },
    }


def _rg(inst: Instance) -> str:
    return f"/subscriptions/{inst.sub}/resourceGroups/{inst.rg}"


def _106(rows: list[Row]) -> Any:
    (finding,) = of_rule(scan(rows, rule_ids=["AMLG-106"]), "AMLG-106")
    return finding


def _everyone() -> list[dict[str, Any]]:
    return [{"id": EVERYONE, "type": "SystemDefined"}]


def test_the_blueprint_passes_without_deny_assignments() -> None:
    assert _106(blueprint().rows()).status is Status.PASS


def test_deny_for_everyone_on_the_resource_group_fails_naming_it() -> None:
    inst = blueprint()
    finding = _106([*inst.rows(), deny_assignment(_rg(inst), _everyone())])
    assert finding.status is Status.FAIL
    assert "deny assignment 'block-pe-approval' denies" in finding.message
    assert "privateEndpointConnectionsApproval/action" in finding.message


def test_deny_for_the_identity_on_one_resource_names_that_resource() -> None:
    inst = blueprint()
    deny = deny_assignment(
        str(inst.keyvault["id"]), [{"id": inst.principal_id, "type": "ServicePrincipal"}]
    )
    finding = _106([*inst.rows(), deny])
    assert finding.status is Status.FAIL
    assert str(inst.keyvault["name"]) in finding.message
    assert str(inst.storage["name"]) + " (deny" not in finding.message


@pytest.mark.parametrize(
    "change",
    [
        {"exclude": [{"id": "IDENTITY", "type": "ServicePrincipal"}]},
        {"principals": [{"id": "99999999-0000-0000-0000-000000000000", "type": "User"}]},
        {"actions": ["Microsoft.Storage/storageAccounts/delete"]},
        {"not_actions": ("*/privateEndpointConnectionsApproval/action", "*/write")},
        {"children": False},
    ],
)
def test_deny_assignments_that_do_not_apply_pass(change: dict[str, Any]) -> None:
    inst = blueprint()
    args: dict[str, Any] = {"principals": _everyone(), **change}
    if "exclude" in args:
        args["exclude"] = [{"id": inst.principal_id, "type": "ServicePrincipal"}]
    deny = deny_assignment(_rg(inst), **args)
    assert _106([*inst.rows(), deny]).status is Status.PASS


def test_deny_for_a_group_cannot_be_judged() -> None:
    inst = blueprint()
    deny = deny_assignment(_rg(inst), [{"id": "abcd", "type": "Group"}])
    finding = _106([*inst.rows(), deny])
    assert finding.status is Status.ERROR and "group abcd" in finding.message


@pytest.mark.parametrize(
    "broken",
    [{"principals": "everyone"}, {"scope": ["x"]}, {"doNotApplyToChildScopes": "no"}],
)
def test_malformed_deny_assignment_is_error(broken: dict[str, Any]) -> None:
    inst = blueprint()
    deny = deny_assignment(_rg(inst), _everyone())
    deny["properties"].update(broken)
    assert _106([*inst.rows(), deny]).status is Status.ERROR


def test_missing_role_still_fails_first() -> None:
    inst = blueprint()
    inst.role_assignments.clear()
    finding = _106([*inst.rows(), deny_assignment(_rg(inst), _everyone())])
    # the missing role comes first; the deny that would still block it is named too (fix7c)
    first, last = str(finding.offenders[0]), str(finding.offenders[-1])
    assert finding.status is Status.FAIL and "deny assignment '" not in first
    assert "deny assignment 'block-pe-approval'" in last and last.split(" ")[0] in finding.message


@pytest.mark.parametrize(
    "permissions",
    [
        [{"actions": ["*"], "notActions": "*/privateEndpointConnectionsApproval/action"}],
        [{"actions": "*"}],
        {"actions": ["*"]},
        ["*"],
    ],
)
def test_malformed_role_definition_permissions_are_error_not_pass(permissions: Any) -> None:
    from tests.builders import role_assignment, role_definition

    custom = "c0ffee00-0000-4000-8000-000000000001"
    inst = blueprint()
    scope = _rg(inst)
    inst.role_assignments = [role_assignment(scope, inst.principal_id, custom)]
    definition = role_definition(custom, ["*"], (), inst.sub)
    definition["properties"]["permissions"] = permissions
    inst.extra.append(definition)
    finding = _106(inst.rows())
    assert finding.status is Status.ERROR and "permissions" in finding.message
