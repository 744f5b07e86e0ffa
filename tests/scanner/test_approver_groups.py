"""redteam9 item 10: an approver role assigned to a group (``principalType`` Group or
ForeignGroup) at a scope covering a resource makes AMLG-106 ``error`` ("the workspace identity
may be a member of that group; membership is not read"), never ``fail`` "no role", as a deny
assignment to a group already is; and ``--fix`` plans no duplicate grant then. In-process,
property-based over the assignment's shape, and through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard.cli import cli
from amlguard.errors import EXIT_INCOMPLETE
from amlguard.scanner.model import Status
from tests.builders import Instance, blueprint, role_assignment
from tests.scanner.harness import of_rule, scan

GROUP_ID = "99999999-aaaa-bbbb-cccc-000000000001"
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"  # Reader: approves nothing
Row = dict[str, Any]


def _106(rows: list[Row]) -> Any:
    (finding,) = of_rule(scan(rows, rule_ids=["AMLG-106"]), "AMLG-106")
    return finding


def _to_group(inst: Instance, kind: str = "Group", role: str | None = None) -> Row:
    """The identity's approver assignment given to a group instead (group-only RBAC)."""
    (ra,) = inst.role_assignments
    scope = ra["properties"]["scope"]
    group = role_assignment(scope, GROUP_ID, *([role] if role else []))
    group["properties"]["principalType"] = kind
    inst.role_assignments[:] = [group]
    return group


def test_the_identitys_own_role_passes() -> None:
    assert _106(blueprint().rows()).status is Status.PASS


@pytest.mark.parametrize("kind", ["Group", "group", "ForeignGroup", " GROUP "])
def test_an_approver_role_held_by_a_group_cannot_be_judged(kind: str) -> None:
    inst = blueprint()
    _to_group(inst, kind)
    finding = _106(inst.rows())
    assert finding.status is Status.ERROR
    assert f"to group {GROUP_ID}" in finding.message
    assert "may be a member of that group" in finding.message
    assert "membership is not read" in finding.message


def test_a_group_role_that_approves_nothing_still_fails() -> None:
    inst = blueprint()
    _to_group(inst, role=READER)
    assert _106(inst.rows()).status is Status.FAIL


def test_a_group_role_beside_the_identitys_own_passes() -> None:
    inst = blueprint()
    own = list(inst.role_assignments)
    _to_group(inst)
    inst.role_assignments.extend(own)
    assert _106(inst.rows()).status is Status.PASS


def test_a_group_role_at_another_resource_group_still_fails() -> None:
    inst = blueprint()
    group = _to_group(inst)
    other = f"/subscriptions/{inst.sub}/resourceGroups/rg-elsewhere"
    inst.role_assignments[:] = [role_assignment(other, GROUP_ID)]
    inst.role_assignments[0]["properties"]["principalType"] = "Group"
    assert group is not inst.role_assignments[0]
    assert _106(inst.rows()).status is Status.FAIL


def test_a_user_or_service_principal_role_is_not_the_identitys() -> None:
    for kind in ("User", "ServicePrincipal", None, 7):
        inst = blueprint()
        _to_group(inst)["properties"]["principalType"] = kind
        assert _106(inst.rows()).status is Status.FAIL, kind


@settings(derandomize=True, max_examples=40, deadline=None)
@given(
    st.one_of(st.none(), st.integers(), st.text(max_size=12), st.sampled_from(["Group", "GROUP"])),
    st.booleans(),
)
def test_only_a_group_turns_no_role_into_error(kind: Any, approver: bool) -> None:
    inst = blueprint()
    _to_group(inst, role=None if approver else READER)["properties"]["principalType"] = kind
    status = _106(inst.rows()).status
    is_group = isinstance(kind, str) and kind.strip().lower() in ("group", "foreigngroup")
    assert status is (Status.ERROR if is_group and approver else Status.FAIL)


def _cli(tmp_path: Path, *extra: str) -> tuple[int, str]:
    inst = blueprint()
    _to_group(inst)
    rows = inst.rows()
    path = tmp_path / "snap.json"
    path.write_text(json.dumps({"count": len(rows), "data": rows}), encoding="utf-8")
    args = ["check", "--snapshot", str(path), "--rule", "AMLG-106", "--color", "never", *extra]
    res = CliRunner().invoke(cli, args)
    return res.exit_code, " ".join((res.stdout + res.stderr).split())


def test_the_cli_is_incomplete_and_plans_no_duplicate_grant(tmp_path: Path) -> None:
    code, out = _cli(tmp_path)
    assert code == EXIT_INCOMPLETE, out
    assert "may be a member of that group" in out
    code, out = _cli(tmp_path, "--fix", "--dry-run")
    assert code == EXIT_INCOMPLETE, out
    assert "Assign role" not in out and "Plan:" not in out
