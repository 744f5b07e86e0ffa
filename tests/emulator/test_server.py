"""The emulator core, exercised through a real SDK client (azure-mgmt-authorization)."""

from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.authorization import AuthorizationManagementClient

from tests.builders import blueprint
from tests.emulator.server import Emulator, Fault


def _client(emu: Emulator, cred: object, **kw: object) -> AuthorizationManagementClient:
    return AuthorizationManagementClient(
        cred,  # type: ignore[arg-type]
        "00000000-0000-0000-0000-000000000001",
        base_url=emu.url,
        connection_verify=emu.ca_path,
        credential_scopes=[f"{emu.url}/.default"],
        **kw,
    )


def test_generic_get_and_list_through_the_sdk(emulator: Emulator, fake_credential: object) -> None:
    inst = blueprint()
    emulator.load(inst.rows())
    client = _client(emulator, fake_credential)
    ra = inst.role_assignments[0]
    got = client.role_assignments.get_by_id(ra["id"])
    assert got.principal_id == inst.principal_id
    listed = list(
        client.role_assignments.list_for_scope(
            f"/subscriptions/{inst.sub}/resourceGroups/{inst.rg}"
        )
    )
    assert [x.id.lower() for x in listed] == [ra["id"].lower()]
    assert (
        emulator.requests("GET", "roleAssignments")[0]
        .headers["authorization"]
        .startswith("Bearer ")
    )


def test_missing_resource_is_arm_404(emulator: Emulator, fake_credential: object) -> None:
    client = _client(emulator, fake_credential)
    with pytest.raises(ResourceNotFoundError):
        client.role_assignments.get_by_id(
            "/subscriptions/s/providers/Microsoft.Authorization/roleAssignments/00000000-0000-0000-0000-000000000009"
        )


def test_injected_fault_is_served_then_cleared(emulator: Emulator, fake_credential: object) -> None:
    inst = blueprint()
    emulator.load(inst.rows())
    emulator.add_fault(
        Fault(
            "GET",
            "roleAssignments",
            status=409,
            body={"error": {"code": "Conflict", "message": "x"}},
        )
    )
    client = _client(emulator, fake_credential, retry_total=0)
    ra_id = inst.role_assignments[0]["id"]
    with pytest.raises(HttpResponseError) as err:
        client.role_assignments.get_by_id(ra_id)
    assert err.value.status_code == 409
    assert client.role_assignments.get_by_id(ra_id).id.lower() == ra_id.lower()


def test_writes_reach_resource_graph_view_only_after_the_lag() -> None:
    inst = blueprint()
    with Emulator(inst.rows(), arg_lag=60.0) as emu:
        ws = dict(emu.get(inst.workspace["id"]) or {})
        ws["properties"] = {**ws["properties"], "publicNetworkAccess": "Enabled"}
        emu.write(ws)
        arg_ws = next(r for r in emu.arg_rows() if r["id"] == inst.workspace["id"])
        assert arg_ws["properties"]["publicNetworkAccess"] == "Disabled"
        assert emu.get(inst.workspace["id"])["properties"]["publicNetworkAccess"] == "Enabled"
