"""redteam7 item 1 through the CLI: an aggregate finding whose later branch newly fails is new
drift for a baseline, a suppression pinned with ``offenders:`` and the history's
``--fail-on-new`` (repro A: AMLG-104 and a missing outbound rule behind a Failed one; repro B:
AMLG-106 and a deny assignment behind missing approver roles), and ``--fix`` plans from every
branch (a missing outbound rule is planned although another rule is Failed)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from amlguard.cli import cli
from amlguard.errors import EXIT_FINDINGS, EXIT_OK
from tests.builders_fix7c import (
    RG,
    add_private_openai,
    deny_approval,
    fail_outbound_rule,
    rows_of,
    write,
)

WORKSPACE = f"{RG}/providers/Microsoft.MachineLearningServices/workspaces/blueprint-dev-mlw"
KNOWN_106 = ["blueprint-dev-kv", "blueprintdevacr", "blueprint-dev-oai", "blueprint-dev-aisvc"]


def _run(*args: str) -> tuple[int, str, str]:
    res = CliRunner().invoke(cli, list(args))
    return res.exit_code, res.stdout, res.stderr


def _json(*args: str) -> tuple[int, dict[str, Any]]:
    code, out, err = _run(*args, "--format", "json")
    assert code in (EXIT_OK, EXIT_FINDINGS), out + err
    return code, json.loads(out)


def _failed_104(tmp_path: Path, new_account: bool) -> Path:
    rows = rows_of("compliant")
    fail_outbound_rule(rows)
    if new_account:
        add_private_openai(rows)
    return write(rows, tmp_path / f"c-104-{new_account}.json")


def _drifted(tmp_path: Path, deny: bool) -> Path:
    rows = rows_of("drifted")
    if deny:
        deny_approval(rows)
    return write(rows, tmp_path / f"d-106-{deny}.json")


def _baseline(tmp_path: Path, snapshot: Path, *extra: str) -> Path:
    path = tmp_path / "bl.json"
    code, out, err = _run(
        "baseline", "create", "-o", str(path), "--snapshot", str(snapshot), *extra
    )
    assert code == EXIT_OK, out + err
    return path


def test_a_baseline_sees_a_missing_outbound_rule_behind_a_failed_one(tmp_path: Path) -> None:
    baseline = _baseline(tmp_path, _failed_104(tmp_path, False), "--rule", "AMLG-104")
    same = ("check", "--snapshot", str(_failed_104(tmp_path, False)), "--baseline", str(baseline))
    assert _json(*same)[0] == EXIT_OK  # the known failure stays known
    args = ("check", "--snapshot", str(_failed_104(tmp_path, True)), "--baseline", str(baseline))
    code, out = _json(*args)
    assert code == EXIT_FINDINGS
    (new,) = [f for f in out["findings"] if f["status"] == "fail"]
    assert (new["rule_id"], new["baseline_state"]) == ("AMLG-104", "new")
    assert new["message"].endswith("New since the baseline: blueprint-dev-oai2.")


def test_fix_plans_the_missing_outbound_rule_behind_a_failed_one(tmp_path: Path) -> None:
    args = ("check", "--snapshot", str(_failed_104(tmp_path, True)), "--fix", "--dry-run")
    code, out, err = _run(*args, "--color", "never")
    assert "Add outbound rule pe-blueprint-dev-oai2" in out + err
    # the Failed rule is the user's: named as a manual step, never rewritten
    assert "outbound rule allowOpenAi to blueprint-dev-oai exists but is not valid" in out + err
    assert code == EXIT_FINDINGS


def _pinned(tmp_path: Path, offenders: list[str]) -> Path:
    entry = {
        "rule": "AMLG-106",
        "resource": WORKSPACE,
        "reason": "approver role on kv/acr/ai accounts pending CHG-77",
        "expires": "2099-03-31",
        "offenders": offenders,
    }
    path = tmp_path / "amlguard.yaml"
    doc = {"version": 1, "allow_permanent_suppressions": True, "suppressions": [entry]}
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_a_pinned_suppression_does_not_accept_a_new_deny(tmp_path: Path) -> None:
    config = str(_pinned(tmp_path, KNOWN_106))
    rule = ("--rule", "AMLG-106", "--config", config)
    code, out = _json("check", "--snapshot", str(_drifted(tmp_path, False)), *rule)
    assert code == EXIT_OK and out["findings"][0]["status"] == "suppressed"
    code, out = _json("check", "--snapshot", str(_drifted(tmp_path, True)), *rule)
    assert code == EXIT_FINDINGS
    (f,) = out["findings"]
    assert f["status"] == "fail" and "blueprintdevst (deny assignment" in f["message"]


def test_a_baseline_sees_a_new_deny(tmp_path: Path) -> None:
    baseline = str(_baseline(tmp_path, _drifted(tmp_path, False)))
    assert (
        _json("check", "--snapshot", str(_drifted(tmp_path, False)), "--baseline", baseline)[0]
        == EXIT_OK
    )
    code, out = _json("check", "--snapshot", str(_drifted(tmp_path, True)), "--baseline", baseline)
    assert code == EXIT_FINDINGS
    (new,) = [f for f in out["findings"] if f["status"] == "fail"]
    assert (new["rule_id"], new["baseline_state"]) == ("AMLG-106", "new")
    assert "New since the baseline: blueprintdevst (deny assignment" in new["message"]


def test_the_history_gate_sees_a_new_deny(tmp_path: Path) -> None:
    db = str(tmp_path / "h.db")
    gate = ("--history", db, "--history-scope", "prod", "--fail-on-new")
    before, after = str(_drifted(tmp_path, False)), str(_drifted(tmp_path, True))
    assert _json("check", "--snapshot", before, *gate)[0] == EXIT_FINDINGS  # all new at first
    assert _json("check", "--snapshot", before, *gate[:-1])[0] == EXIT_FINDINGS  # adopted
    assert _json("check", "--snapshot", before, *gate)[0] == EXIT_OK  # the same failures
    code, _out, err = _run("check", "--snapshot", after, *gate, "--format", "json")
    assert code == EXIT_FINDINGS
    assert "1 new, 0 resolved, 11 still failing" in err


def _registry(tmp_path: Path, public: bool) -> tuple[Path, list[str]]:
    """A blueprint with an AML registry whose managed stores are public (known), and the
    registry itself public as well (redteam8 item 3: a failing field beside a known count)."""
    from tests.builders import blueprint
    from tests.builders_integrations import add_registry

    inst = blueprint()
    reg, stores = add_registry(inst, managed_public=True, public=public)
    return write(inst.rows(), tmp_path / f"reg-{public}.json"), [
        reg["id"],
        *(s["id"] for s in stores),
    ]


def test_every_offender_gate_sees_a_registry_turning_public(tmp_path: Path) -> None:
    (known, ids_), (public, _) = _registry(tmp_path, False), _registry(tmp_path, True)
    entry = {"rule": "AMLG-241", "resource": ids_[0], "reason": "r", "expires": "2099-03-31"}
    config = tmp_path / "amlguard.yaml"
    doc = {"version": 1, "allow_permanent_suppressions": True}
    config.write_text(json.dumps({**doc, "suppressions": [{**entry, "offenders": ids_[1:]}]}))
    pinned = ("--config", str(config))
    assert _json("check", "--snapshot", str(known), *pinned)[0] == EXIT_OK
    code, out = _json("check", "--snapshot", str(public), *pinned)
    assert code == EXIT_FINDINGS
    (f,) = [f for f in out["findings"] if f["status"] == "fail"]
    assert f["rule_id"] == "AMLG-241" and "publicNetworkAccess is Enabled" in f["message"]
    baseline = str(_baseline(tmp_path, known))
    assert _json("check", "--snapshot", str(known), "--baseline", baseline)[0] == EXIT_OK
    code, out = _json("check", "--snapshot", str(public), "--baseline", baseline)
    assert code == EXIT_FINDINGS
    assert [f["baseline_state"] for f in out["findings"] if f["status"] == "fail"] == ["new"]
    db = str(tmp_path / "h.db")
    gate = ("--history", db, "--history-scope", "prod", "--fail-on-new")
    assert _json("check", "--snapshot", str(known), *gate)[0] == EXIT_FINDINGS
    assert _json("check", "--snapshot", str(known), *gate[:-1])[0] == EXIT_FINDINGS  # adopted
    assert _json("check", "--snapshot", str(known), *gate)[0] == EXIT_OK
    code, _out, err = _run("check", "--snapshot", str(public), *gate, "--format", "json")
    assert code == EXIT_FINDINGS and "1 new" in err
