"""A private endpoint or a private DNS zone link counts only once provisioned (redteam9 #16):
a Failed one is no private path (its rule fails, ``--fix`` does not cut public access behind
it), one still provisioning cannot be judged (error), an absent state (rows written by hand,
templates) counts as ARM's ``Succeeded``."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard.scanner import linkstates, provisioning

ROOT = Path(__file__).resolve().parents[2]
_DOC = json.loads((ROOT / "examples" / "estates" / "compliant.json").read_text(encoding="utf-8"))
PE = "microsoft.network/privateendpoints"
LINK = "microsoft.network/privatednszones/virtualnetworklinks"

states = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.text(max_size=12)
    | st.lists(st.text(max_size=5), max_size=2)
)


@settings(derandomize=True, max_examples=300, deadline=None)
@given(states, states)
def test_a_state_is_in_place_only_when_succeeded_or_absent(pstate: Any, lstate: Any) -> None:
    row = {
        "id": "x",
        "properties": {"provisioningState": pstate, "virtualNetworkLinkState": lstate},
    }
    verdict, words = provisioning.state(row, link=True)
    ok_p = pstate is None or (isinstance(pstate, str) and pstate.strip().lower() == "succeeded")
    ok_l = lstate is None or (isinstance(lstate, str) and lstate.strip().lower() == "completed")
    assert (verdict == provisioning.IN_PLACE) == (ok_p and ok_l)
    failed = isinstance(pstate, str) and pstate.strip().lower() in ("failed", "canceled")
    assert (verdict == provisioning.FAILED) == failed
    assert (verdict == provisioning.IN_PLACE) == (words == "")
    # an endpoint has no link state
    assert provisioning.in_place(row) == ok_p


def test_absent_and_arm_spellings() -> None:
    assert provisioning.in_place({"id": "x"})
    assert provisioning.in_place({"id": "x", "properties": {"ProvisioningState": "SUCCEEDED"}})
    assert not provisioning.in_place({"id": "x", "properties": {"provisioningState": "Updating"}})
    assert (
        linkstates.unsettled_link([{"id": "l", "properties": {"provisioningState": "Failed"}}])
        is None
    )
    problem = linkstates.unsettled_link(
        [{"id": "l", "properties": {"virtualNetworkLinkState": "InProgress"}}]
    )
    assert problem is not None and "virtualNetworkLinkState InProgress" in str(problem)


def _estate(tmp: Path, rtype: str, names: tuple[str, ...], **props: Any) -> Path:
    doc = copy.deepcopy(_DOC)
    rows = doc["data"] if isinstance(doc, dict) else doc
    hit = 0
    for row in rows:
        if str(row["type"]).lower() == rtype and (not names or row["name"] in names):
            row["properties"].update(props)
            hit += 1
    assert hit
    path = tmp / "estate.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "amlguard", "check", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=300,
    )


def _findings(out: str) -> list[dict[str, Any]]:
    return [json.loads(x.rstrip(",")) for x in out.splitlines() if '"rule_id"' in x]


STORAGE_PES = ("blueprint-dev-pe-storage-blob", "blueprint-dev-pe-storage-file")


@pytest.mark.parametrize("state", ["Failed", "Canceled"])
def test_cli_failed_endpoints_do_not_count(tmp_path: Path, state: str) -> None:
    path = _estate(tmp_path, PE, STORAGE_PES, provisioningState=state)
    done = _run("--snapshot", str(path), "--rule", "AMLG-202", "--format", "json")
    assert done.returncode == 1, done.stdout[-1500:] + done.stderr
    assert [f["status"] for f in _findings(done.stdout)] == ["fail"]


@pytest.mark.parametrize("state", ["Updating", "Creating", "Deleting", ["Succeeded"]])
def test_cli_endpoints_in_flux_are_error(tmp_path: Path, state: Any) -> None:
    path = _estate(tmp_path, PE, STORAGE_PES, provisioningState=state)
    done = _run("--snapshot", str(path), "--rule", "AMLG-202", "--format", "json")
    assert done.returncode == 3, done.stdout[-1500:] + done.stderr
    (finding,) = _findings(done.stdout)
    assert finding["status"] == "error"
    assert "blueprint-dev-pe-storage-" in finding["message"]
    assert "provisioningState" in finding["message"]


def test_cli_succeeded_and_absent_count(tmp_path: Path) -> None:
    for state in ("Succeeded", None):
        path = _estate(tmp_path, PE, (), provisioningState=state)
        done = _run("--snapshot", str(path), "--format", "json")
        assert done.returncode == 0, done.stdout[-1500:] + done.stderr


def test_cli_fix_does_not_cut_public_access_behind_failed_endpoints(tmp_path: Path) -> None:
    doc = copy.deepcopy(_DOC)
    rows = doc["data"] if isinstance(doc, dict) else doc
    for row in rows:
        if str(row["type"]).lower() == "microsoft.storage/storageaccounts":
            row["properties"]["publicNetworkAccess"] = "Enabled"
    path = tmp_path / "estate.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    planned = _run("--snapshot", str(path), "--fix", "--dry-run")
    assert "Disable public network access on blueprintdevst" in planned.stdout  # the control
    for row in rows:
        if row.get("name") in STORAGE_PES:
            row["properties"]["provisioningState"] = "Failed"
    path.write_text(json.dumps(doc), encoding="utf-8")
    done = _run("--snapshot", str(path), "--fix", "--dry-run")
    assert "Disable public network access on blueprintdevst" not in done.stdout, done.stdout
    assert "not disabling public access on blueprintdevst" in done.stdout


def test_cli_failed_links_do_not_link(tmp_path: Path) -> None:
    path = _estate(tmp_path, LINK, (), provisioningState="Failed")
    done = _run("--snapshot", str(path), "--rule", "AMLG-301", "--format", "json")
    assert done.returncode == 1, done.stdout[-1500:] + done.stderr
    found = _findings(done.stdout)
    assert found and {f["status"] for f in found} == {"fail"}


@pytest.mark.parametrize(
    "props",
    [{"virtualNetworkLinkState": "InProgress"}, {"provisioningState": "Updating"}],
)
def test_cli_links_in_flux_are_error(tmp_path: Path, props: dict[str, Any]) -> None:
    path = _estate(tmp_path, LINK, (), **props)
    done = _run("--snapshot", str(path), "--rule", "AMLG-301", "--format", "json")
    assert done.returncode == 3, done.stdout[-1500:] + done.stderr
    found = _findings(done.stdout)
    assert found and {f["status"] for f in found} == {"error"}
    assert all("private DNS zone link" in f["message"] for f in found)


def test_a_template_state_known_only_after_deployment_counts() -> None:
    from amlguard.scanner.unknown import Unknown

    later = Unknown("pe:properties.provisioningState")
    assert provisioning.in_place({"id": "x", "properties": {"provisioningState": later}})
    row = {"id": "l", "properties": {"virtualNetworkLinkState": later}}
    assert provisioning.in_place(row, link=True)
