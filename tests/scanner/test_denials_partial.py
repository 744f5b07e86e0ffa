"""AMLG-106 and deny assignments that deny only some approval actions (redteam7 #5): the
identity can still approve while one approval action its roles grant on the type is denied by
nothing, e.g. under a Deployment Stack's ``denyWriteAndDelete`` (``*/write``, ``*/delete``),
which leaves a key vault's ``privateEndpointConnectionsApproval/action``."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard.scanner.model import Status
from tests.builders import Instance, blueprint, role_assignment, role_definition
from tests.scanner.harness import one, scan
from tests.scanner.test_denials import EVERYONE, _106, _everyone, _rg, deny_assignment

STACK = ["*/write", "*/delete"]
KV = "Microsoft.KeyVault/vaults"
KV_APPROVE = f"{KV}/privateEndpointConnectionsApproval/action"
KV_WRITE = f"{KV}/privateEndpointConnections/write"
CUSTOM = "c0ffee00-0000-4000-8000-0000000000aa"
#: what the custom role grants on the instance's other resource types
OTHERS = ["Microsoft.Storage/*", "Microsoft.ContainerRegistry/*", "Microsoft.CognitiveServices/*"]
PIPELINE = "11111111-aaaa-bbbb-cccc-222222222222"


def _stack_deny(scope: str, **kw: Any) -> dict[str, Any]:
    """The deny assignment a Deployment Stack with denyWriteAndDelete puts on a resource."""
    return deny_assignment(
        scope,
        _everyone(),
        actions=STACK,
        exclude=[{"id": PIPELINE, "type": "ServicePrincipal"}],
        name="Deny assignment created by Deployment Stack 'platform-stack'",
        **kw,
    )


def _custom_only(inst: Instance, actions: list[str], in_scan: bool = True) -> None:
    """Replace the approver role by a custom role granting ``actions`` (its definition in the
    scan, or only accepted by GUID)."""
    inst.role_assignments = [role_assignment(_rg(inst), inst.principal_id, CUSTOM)]
    if in_scan:
        inst.extra.append(role_definition(CUSTOM, actions, (), inst.sub))


def _with_accepted(rows: list[dict[str, Any]]) -> Any:
    params = {"AMLG-106": {"accepted_roles": [CUSTOM]}}
    return one(scan(rows, params, rule_ids=["AMLG-106"]), "AMLG-106")


def test_stack_deny_on_the_key_vault_leaves_the_approval_action() -> None:
    inst = blueprint()
    finding = _106([*inst.rows(), _stack_deny(str(inst.keyvault["id"]))])
    assert finding.status is Status.PASS, finding.message


def test_stack_deny_on_storage_denies_its_only_approval_action() -> None:
    """The approver role grants storage only privateEndpointConnections/write (azure-facts 3.2)."""
    inst = blueprint()
    finding = _106([*inst.rows(), _stack_deny(str(inst.storage["id"]))])
    assert finding.status is Status.FAIL
    assert "Deployment Stack" in finding.message
    assert "storageaccounts/privateendpointconnections/write" in finding.message.lower()
    assert str(inst.keyvault["name"]) + " (deny" not in finding.message


def test_a_custom_role_granting_only_write_is_denied_by_the_stack() -> None:
    inst = blueprint()
    _custom_only(inst, [KV_WRITE, *OTHERS])
    finding = _106([*inst.rows(), _stack_deny(str(inst.keyvault["id"]))])
    assert finding.status is Status.FAIL
    assert f"{inst.keyvault['name']} (deny assignment" in finding.message


def test_two_deny_assignments_together_deny_every_granted_action() -> None:
    inst = blueprint()
    kv = str(inst.keyvault["id"])
    approve = deny_assignment(kv, _everyone(), actions=[KV_APPROVE.upper()], name="no-approve")
    finding = _106([*inst.rows(), _stack_deny(kv), approve])
    assert finding.status is Status.FAIL
    assert "'no-approve' denies" in finding.message and "Deployment Stack" in finding.message


def test_alone_the_approval_action_deny_leaves_write() -> None:
    inst = blueprint()
    kv = str(inst.keyvault["id"])
    approve = deny_assignment(kv, _everyone(), actions=["*/privateendpointconnectionsapproval/*"])
    assert _106([*inst.rows(), approve]).status is Status.PASS


def test_not_actions_keep_the_approval_action() -> None:
    inst = blueprint()
    deny = deny_assignment(
        _rg(inst),
        _everyone(),
        actions=["*"],
        not_actions=("*/PrivateEndpointConnectionsApproval/*",),
    )
    finding = _106([*inst.rows(), deny])
    # key vault and registry keep the approval action; storage (write only) does not
    assert finding.status is Status.FAIL
    assert f"{inst.storage['name']} (deny" in finding.message
    assert f"{inst.keyvault['name']} (deny" not in finding.message
    assert f"{inst.registry['name']} (deny" not in finding.message


def test_excluded_identity_is_not_denied_even_when_everything_is() -> None:
    inst = blueprint()
    deny = deny_assignment(
        _rg(inst), _everyone(), actions=["*"], exclude=[{"id": inst.principal_id.upper()}]
    )
    assert _106([*inst.rows(), deny]).status is Status.PASS


def test_an_unread_accepted_role_with_a_partial_deny_cannot_be_judged() -> None:
    inst = blueprint()
    _custom_only(inst, [], in_scan=False)
    finding = _with_accepted([*inst.rows(), _stack_deny(str(inst.keyvault["id"]))])
    assert finding.status is Status.ERROR
    assert CUSTOM in finding.message and "cannot be judged" in finding.message


def test_an_unread_accepted_role_with_every_action_denied_fails() -> None:
    inst = blueprint()
    _custom_only(inst, [], in_scan=False)
    deny = deny_assignment(str(inst.keyvault["id"]), _everyone(), actions=["*"])
    finding = _with_accepted([*inst.rows(), deny])
    assert finding.status is Status.FAIL and "(deny assignment" in finding.message


def test_a_group_deny_that_could_only_take_a_surviving_action_still_passes() -> None:
    inst = blueprint()
    group = deny_assignment(
        str(inst.keyvault["id"]), [{"id": "abcd", "type": "Group"}], actions=STACK, name="g"
    )
    assert _106([*inst.rows(), group]).status is Status.PASS


def test_a_group_deny_completing_the_denial_cannot_be_judged() -> None:
    inst = blueprint()
    kv = str(inst.keyvault["id"])
    group = deny_assignment(kv, [{"id": "abcd", "type": "Group"}], actions=[KV_APPROVE])
    finding = _106([*inst.rows(), _stack_deny(kv), group])
    assert finding.status is Status.ERROR and "group abcd" in finding.message


SUFFIXES = ["privateEndpointConnectionsApproval/action", "privateEndpointConnections/write"]


@settings(derandomize=True, max_examples=40, deadline=None)
@given(
    grant=st.sets(st.sampled_from(SUFFIXES), min_size=1),
    denies=st.lists(st.sets(st.sampled_from(SUFFIXES)), max_size=3),
    upper=st.booleans(),
)
def test_denied_exactly_when_every_granted_action_is(
    grant: set[str], denies: list[set[str]], upper: bool
) -> None:
    """Whatever a custom role grants on the key vault and whatever deny assignments deny, the
    key vault is listed as denied exactly when the denies cover every granted action."""
    inst = blueprint()
    _custom_only(inst, [f"{KV}/{s}" for s in sorted(grant)] + OTHERS)
    kv = str(inst.keyvault["id"])
    rows = inst.rows()
    for i, denied in enumerate(denies):
        actions = [f"*/{s}".upper() if upper else f"*/{s}" for s in sorted(denied)]
        rows.append(deny_assignment(kv, _everyone(), actions=actions, name=f"d{i}"))
    finding = _106(rows)
    covered = grant <= set().union(*denies) if denies else False
    assert (finding.status is Status.FAIL) is covered, finding.message
    assert (f"{inst.keyvault['name']} (deny" in finding.message) is covered
    assert finding.status in (Status.FAIL, Status.PASS)
    assert EVERYONE not in finding.message
