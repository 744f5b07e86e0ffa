"""AMLG-241 counts a registry's private endpoint connections with an allow-list, as AMLG-240
does (redteam10 #5): any status that cannot be read as Approved (Timeout, absent, null, blank,
padded, not ARM's) is counted, so the rule alone fails (``--rule AMLG-241``, ``--severity
high``), live and from a snapshot alike."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard.cli import cli
from amlguard.scanner.model import Status
from tests.builders import Instance, blueprint
from tests.builders_fix10rules import set_registry_status
from tests.builders_integrations import add_registry
from tests.emulator import arg
from tests.emulator.server import Emulator
from tests.scanner.harness import of_rule, scan

TOKEN = "eyJhbGciOi.not-a-real-token.c2lnbmF0dXJl"
RULES = Path(__file__).resolve().parents[2] / "amlguard" / "policies" / "rules"


def _estate(change: Any = None) -> tuple[Instance, Any]:
    inst = blueprint()
    registry, _ = add_registry(inst, connection_status="Approved")
    if change is not None:
        set_registry_status(registry, change)
    return inst, registry


def _241(inst: Instance) -> Status:
    (finding,) = of_rule(scan(inst.rows(), rule_ids=["AMLG-241"]), "AMLG-241")
    return finding.status


def test_every_connection_approved_passes() -> None:
    assert _241(_estate()[0]) is Status.PASS
    assert _241(_estate(lambda s: s.update(status="approved"))[0]) is Status.PASS


@pytest.mark.parametrize(
    "change",
    [
        lambda s: s.update(status="Timeout"),
        lambda s: s.update(status=None),
        lambda s: s.pop("status"),
        lambda s: s.update(status=""),
        lambda s: s.update(status="Pending "),
        lambda s: s.update(status="Approved\u00a0"),
        lambda s: s.update(status="Unknown"),
        lambda s: s.update(status="Rejected"),
    ],
    ids=["timeout", "null", "absent", "blank", "padded", "nbsp", "not ARM's", "rejected"],
)
def test_a_status_not_read_as_approved_fails(change: Any) -> None:
    assert _241(_estate(change)[0]) is Status.FAIL


@settings(derandomize=True, max_examples=40, deadline=None)
@given(st.one_of(st.none(), st.text(max_size=12)))
def test_any_status_but_approved_fails(status: Any) -> None:
    inst, _ = _estate(lambda s: s.update(status=status))
    approved = isinstance(status, str) and status.lower() == "approved"
    assert (_241(inst) is Status.PASS) == approved


def test_no_rule_in_the_pack_keeps_a_status_deny_list() -> None:
    """The class: no ``in:`` list of connection states anywhere in the pack."""
    states = {"pending", "rejected", "disconnected", "timeout"}

    def walk(node: Any) -> list[Any]:
        if isinstance(node, dict):
            found = [node["in"]] if isinstance(node.get("in"), list) else []
            return found + [x for v in node.values() for x in walk(v)]
        if isinstance(node, list):
            return [x for v in node for x in walk(v)]
        return []

    for path in RULES.glob("*.yaml"):
        for listed in walk(yaml.safe_load(path.read_text(encoding="utf-8"))):
            assert not states & {str(v).lower() for v in listed}, (path.name, listed)


@pytest.mark.parametrize("status", ["Approved", "Timeout"])
def test_live_and_snapshot_judge_alike(
    status: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AMLGUARD_ACCESS_TOKEN", TOKEN)
    inst, _ = _estate(lambda s: s.update(status=status))
    rows = inst.rows()
    snap = tmp_path / "estate.json"
    snap.write_text(json.dumps(rows))
    runner = CliRunner()
    only = ["--severity", "high", "--format", "json"]
    with Emulator(rows) as emu:
        arg.install(emu)
        live_args = ["--arm-endpoint", emu.url, "--ca-bundle", emu.ca_path, "--quiet"]
        live = runner.invoke(cli, ["check", *only, *live_args])
    offline = runner.invoke(cli, ["check", *only, "--snapshot", str(snap)])
    assert live.exit_code == offline.exit_code == (0 if status == "Approved" else 1), live.output

    def mine(out: str) -> list[Any]:
        # the verdict; a filtered live read fills the fix command's zone less (not judged)
        keys = ("resource_id", "status", "severity", "message", "actual", "path")
        found = json.loads(out)["findings"]
        return [{k: f.get(k) for k in keys} for f in found if f["rule_id"] == "AMLG-241"]

    assert mine(live.stdout) == mine(offline.stdout)
    assert {f["status"] for f in mine(offline.stdout)} == {
        "pass" if status == "Approved" else "fail"
    }
