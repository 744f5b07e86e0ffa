"""AMLG-106's fix for a type the approver role does not cover (real-estates 4.6): the custom-role
JSON and commands, never a useless assignment of the built-in role; a covered type still gets
the built-in role."""

from __future__ import annotations

import json
from pathlib import Path

from amlguard.remediate.fix import prepare
from amlguard.remediate.remediators.customrole import role_definition, spelled_type
from amlguard.scanner import ids
from amlguard.scanner.rules import load_pack
from amlguard.scanner.scan import ScanOptions, select_rules
from amlguard.scanner.sources.snapshot import SnapshotSource
from tests.builders import blueprint, rid, row
from tests.scanner.test_approver_roles import _builtin_row


def _estate_with_data_factory(rg: str | None = None):
    inst = blueprint()
    inst.extra.append(_builtin_row())
    adf = rid(inst.sub, rg or inst.rg, "Microsoft.DataFactory/factories", "blueprint-adf")
    inst.extra.append(row(adf, "microsoft.datafactory/factories", properties={}))
    inst.workspace["properties"]["managedNetwork"]["outboundRules"]["allowAdf"] = {
        "type": "PrivateEndpoint",
        "category": "UserDefined",
        "status": "Active",
        "destination": {"serviceResourceId": adf, "subresourceTarget": "dataFactory",
                        "sparkEnabled": True},
    }  # fmt: skip
    return inst, adf


def _plan(tmp_path: Path, rows: list[dict]):
    snap = tmp_path / "estate.json"
    snap.write_text(json.dumps(rows), encoding="utf-8")
    pack = load_pack([])
    rules = select_rules(pack, rule_ids=("AMLG-106",))
    return prepare(SnapshotSource([snap]), pack, rules, ScanOptions(), []).plan


def test_uncovered_type_gets_the_custom_role_json_not_the_builtin_role(tmp_path: Path) -> None:
    inst, adf = _estate_with_data_factory("ml-data")
    plan = _plan(tmp_path, inst.rows())
    assert not plan.actions  # assigning b556d68e on ml-data would change nothing
    (step,) = plan.manual
    assert "does not cover Microsoft.DataFactory/factories" in step.reason
    assert (
        "Microsoft.DataFactory/factories/privateEndpointConnectionsApproval/action" in step.command
    )
    assert "az role definition create" in step.command
    scope = ids.resource_group_scope(adf)
    assert f"--scope {scope}" in step.command and inst.principal_id in step.command


def test_custom_role_definition_is_valid_json_scoped_to_the_resource_groups() -> None:
    scope = "/subscriptions/s/resourceGroups/rg"
    body = role_definition("Microsoft.Databricks/workspaces", [scope])
    assert body["AssignableScopes"] == [scope] and body["IsCustom"] is True
    assert json.loads(json.dumps(body)) == body
    assert all(str(a).startswith("Microsoft.Databricks/workspaces/") for a in body["Actions"])


def test_type_keeps_the_ids_spelling() -> None:
    assert (
        spelled_type("/subscriptions/s/resourceGroups/r/providers/Microsoft.Web/sites/app")
        == "Microsoft.Web/sites"
    )
    assert (
        spelled_type(
            "/subscriptions/s/resourceGroups/r/providers/Microsoft.Sql/servers/a/databases/b"
        )
        == "Microsoft.Sql/servers/databases"
    )
