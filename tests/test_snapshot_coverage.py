"""What an ``amlguard snapshot`` file was read for (redteam8 items 13 and 14): the snapshot
reads deny assignments as the live check does, its header records the resource types, role
definitions and deny assignments it read (``read_for``), and a check whose rules need anything
else is refused (exit 2), never judged green on rows that were never read."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard.cli import cli
from amlguard.errors import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, InputError
from amlguard.scanner.sources.interface import Needs
from amlguard.snapshotcover import check_coverage, read_for
from tests.emulator import arg, denyassignments
from tests.emulator.server import Emulator
from tests.scanner.test_denials_live import TOKEN, _rows


@pytest.fixture
def token(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("AMLGUARD_ACCESS_TOKEN", TOKEN)
    yield


def _run(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args))


def _snapshot(emu: Emulator, path: Path, *selection: str) -> dict[str, Any]:
    conn = ["--arm-endpoint", emu.url, "--ca-bundle", emu.ca_path, "--quiet"]
    res = _run("snapshot", "-o", str(path), *selection, *conn)
    assert res.exit_code == EXIT_OK, res.output
    return dict(json.loads(path.read_text())["amlguard_snapshot"])


def test_a_snapshot_reads_deny_assignments_and_its_check_fails_as_live(
    tmp_path: Path, token: None
) -> None:
    rows, _sub = _rows(with_deny=True)
    with Emulator(rows) as emu:
        arg.install(emu)
        denyassignments.install(emu)
        header = _snapshot(emu, tmp_path / "s.json")
    assert header["read_for"]["deny_assignments"] is True
    assert "microsoft.machinelearningservices/workspaces" in header["read_for"]["types"]
    res = _run("check", "--snapshot", str(tmp_path / "s.json"), "--rule", "AMLG-106", "-f", "json")
    assert res.exit_code == EXIT_FINDINGS, res.output
    (f,) = json.loads(res.stdout)["findings"]
    assert f["status"] == "fail" and "deny assignment 'block-pe-approval'" in f["message"]


def test_a_snapshot_taken_for_some_rules_refuses_a_check_of_others(
    tmp_path: Path, token: None
) -> None:
    rows, _sub = _rows(with_deny=False)
    path = tmp_path / "s101.json"
    with Emulator(rows) as emu:
        arg.install(emu)
        denyassignments.install(emu)
        header = _snapshot(emu, path, "--rule", "AMLG-101")
    assert header["read_for"]["deny_assignments"] is False
    res = _run("check", "--snapshot", str(path), "--rule", "AMLG-101")
    assert res.exit_code == EXIT_OK, res.output  # what it was taken for
    for rule in ("AMLG-302", "AMLG-106"):
        res = _run("check", "--snapshot", str(path), "--rule", rule)
        assert res.exit_code == EXIT_USAGE, res.output
        assert "not read for what the selected rules need" in res.stderr
        assert rule in res.stderr and "Traceback" not in res.output
    res = _run("check", "--snapshot", str(path))
    assert res.exit_code == EXIT_USAGE and "deny assignments" in res.stderr


def test_an_old_amlguard_snapshot_without_a_record_is_refused(tmp_path: Path) -> None:
    rows, _sub = _rows(with_deny=False)
    doc = {"amlguard_snapshot": {"rule_pack": {"version": "1", "hash": "x"}}, "data": rows}
    path = tmp_path / "old.json"
    path.write_text(json.dumps(doc))
    res = _run("check", "--snapshot", str(path))
    assert res.exit_code == EXIT_USAGE and "did not record what it read" in res.stderr
    # a Resource Graph export or a hand-made file records nothing and is judged as it is
    path.write_text(json.dumps({"data": rows}))
    assert _run("check", "--snapshot", str(path)).exit_code == EXIT_OK


TYPES = st.lists(st.sampled_from(["a/b", "A/B", "c/d", "e/f"]), max_size=3).map(tuple)
ROLES = st.lists(st.sampled_from(["r1", "R1", "r2"]), max_size=2).map(tuple)


@settings(derandomize=True, max_examples=150, deadline=None)
@given(TYPES, ROLES, st.booleans(), TYPES, ROLES, st.booleans())
def test_coverage_is_a_case_insensitive_subset(
    read_types: tuple[str, ...],
    read_roles: tuple[str, ...],
    read_deny: bool,
    need_types: tuple[str, ...],
    need_roles: tuple[str, ...],
    need_deny: bool,
) -> None:
    header = {"rule_pack": {}, "read_for": read_for(Needs(read_types, read_roles), read_deny)}
    covered = (
        {t.lower() for t in need_types} <= {t.lower() for t in read_types}
        and {r.lower() for r in need_roles} <= {r.lower() for r in read_roles}
        and (read_deny or not need_deny)
    )
    needs = Needs(need_types, need_roles)
    for shape in (header, {"files": [header, {}]}):
        if covered:
            check_coverage(shape, needs, need_deny, [])
        else:
            with pytest.raises(InputError, match="not read for"):
                check_coverage(shape, needs, need_deny, [])


@pytest.mark.parametrize(
    "bad", [None, [], {"types": "a/b"}, {"types": [], "role_definition_ids": [1]}, {"types": []}]
)
def test_a_malformed_record_is_refused(bad: Any) -> None:
    with pytest.raises(InputError, match="read_for"):
        check_coverage({"read_for": bad}, Needs(()), False, [])
