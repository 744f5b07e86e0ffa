"""AMLG-106 live with a Deployment Stack's deny assignment (redteam7 #5): the emulator and the
real SDK pipeline clients. ``denyWriteAndDelete`` (``*/write``, ``*/delete``) on the key vault
leaves the approver role's ``privateEndpointConnectionsApproval/action``: pass; on the storage
account, where the role grants only ``privateEndpointConnections/write``: fail, naming it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.emulator import arg, denyassignments
from tests.emulator.server import Emulator
from tests.scanner.test_denials import EVERYONE, deny_assignment
from tests.scanner.test_denials_live import _106, _check, _rows, token  # noqa: F401


def _stack_deny(rows: list[dict[str, Any]], rtype: str) -> str:
    target = next(r for r in rows if r["type"] == rtype)
    rows.append(
        deny_assignment(
            str(target["id"]),
            [{"id": EVERYONE, "type": "SystemDefined"}],
            actions=["*/write", "*/delete"],
            exclude=[{"id": "11111111-aaaa-bbbb-cccc-222222222222", "type": "ServicePrincipal"}],
            name="Deny assignment created by Deployment Stack",
        )
    )
    return str(target["name"])


@pytest.mark.parametrize(
    ("rtype", "code", "status"),
    [("microsoft.keyvault/vaults", 0, "pass"), ("microsoft.storage/storageaccounts", 1, "fail")],
)
def test_live_stack_deny_is_judged_by_the_actions_it_leaves(
    token: None,  # noqa: F811
    rtype: str,
    code: int,
    status: str,
) -> None:
    rows, _sub = _rows(with_deny=False)
    name = _stack_deny(rows, rtype)
    with Emulator(rows) as emu:
        arg.install(emu)
        denyassignments.install(emu)
        result = _check(emu)
        assert emu.requests("GET", contains="denyAssignments")
    assert result.exit_code == code, result.output
    finding = _106(result)
    assert finding["status"] == status
    assert (
        f"{name} (deny assignment 'Deny assignment created by Deployment Stack'"
        in (finding["message"])
    ) is (status == "fail")
