"""Baselines: create records today's failures; check shows them known, new ones fail, fixed ones are resolved."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from amlguard.cli import cli
from tests.conftest import EXAMPLES

DRIFTED = str(EXAMPLES / "drifted.json")
MULTI = str(EXAMPLES / "multi-workspace.json")


def _create(tmp_path: Path, *extra: str) -> tuple[Path, dict[str, Any]]:
    path = tmp_path / "baseline.json"
    res = CliRunner().invoke(
        cli, ["baseline", "create", "-o", str(path), "--snapshot", DRIFTED, *extra]
    )
    assert res.exit_code == 0, res.output
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert res.output.strip() == f"Recorded {len(doc['findings'])} failing finding(s) in {path}."
    return path, doc


def _check(baseline: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    args = ["check", "--snapshot", DRIFTED, "--baseline", str(baseline), "--format", "json", *extra]
    res = CliRunner().invoke(cli, args)
    return res.exit_code, json.loads(res.output)


def test_create_records_every_failing_finding(tmp_path: Path) -> None:
    _, doc = _create(tmp_path)
    assert doc["amlguard_baseline"] == 1
    assert len(doc["findings"]) == 12
    assert {"rule_id", "resource_id", "instance", "severity"} <= set(doc["findings"][0])


def test_known_findings_do_not_fail_the_gate(tmp_path: Path) -> None:
    path, _ = _create(tmp_path)
    code, doc = _check(path)
    assert code == 0
    assert doc["summary"]["by_status"]["fail"] == 0
    known = [f for f in doc["findings"] if f.get("baseline_state") == "known"]
    assert len(known) == 12 and all(f["status"] == "known" for f in known)
    assert known[0]["suppression"]["kind"] == "baseline"
    assert doc["baseline"]["known"] == 12 and doc["baseline"]["new"] == 0


def test_a_new_failure_fails_the_gate(tmp_path: Path) -> None:
    path, doc = _create(tmp_path)
    dropped = doc["findings"].pop(0)
    path.write_text(json.dumps(doc), encoding="utf-8")
    code, out = _check(path)
    assert code == 1
    (new,) = [f for f in out["findings"] if f["status"] == "fail"]
    assert (new["rule_id"], new["baseline_state"]) == (dropped["rule_id"], "new")
    assert out["baseline"]["new"] == 1


def test_fixed_findings_are_listed_as_resolved(tmp_path: Path) -> None:
    path, doc = _create(tmp_path)
    workspace = doc["findings"][0]["instance"]
    # AMLG-102 passes on drifted.json: as if it had failed when the baseline was taken.
    doc["findings"].append(
        {"rule_id": "AMLG-102", "resource_id": workspace.upper(), "instance": workspace}
    )
    # A resource of an instance this scan does not see is neither known nor resolved.
    doc["findings"].append(
        {"rule_id": "AMLG-101", "resource_id": "/x/other", "instance": "/x/other"}
    )
    path.write_text(json.dumps(doc), encoding="utf-8")
    code, out = _check(path)
    assert code == 0
    (resolved,) = out["baseline"]["resolved"]
    assert resolved["rule_id"] == "AMLG-102"
    res = CliRunner().invoke(cli, ["check", "--snapshot", DRIFTED, "--baseline", str(path)])
    assert "resolved: amlg-102 blueprint-dev-mlw" in res.output.lower()


def test_rules_not_run_are_not_reported_resolved(tmp_path: Path) -> None:
    path, _ = _create(tmp_path)
    code, out = _check(path, "--rule", "AMLG-101")
    assert code == 0 and out["baseline"]["resolved"] == []


def test_suppressed_findings_are_not_baselined(tmp_path: Path) -> None:
    cfg = tmp_path / "amlguard.yaml"
    cfg.write_text(
        "suppressions:\n  - {rule: AMLG-222, resource: '*', reason: r, expires: 2099-01-01}\n",
        encoding="utf-8",
    )
    _, doc = _create(tmp_path, "--config", str(cfg))
    assert "AMLG-222" not in {e["rule_id"] for e in doc["findings"]}


def test_bad_baseline_file_is_a_usage_error(tmp_path: Path) -> None:
    for text, message in (
        ("{", "not JSON"),
        ('{"findings": []}', "not an amlguard baseline"),
        ('{"amlguard_baseline": 1, "findings": [{"rule_id": "A"}]}', "findings[0] needs"),
    ):
        path = tmp_path / "b.json"
        path.write_text(text, encoding="utf-8")
        res = CliRunner().invoke(cli, ["check", "--snapshot", DRIFTED, "--baseline", str(path)])
        assert res.exit_code == 2 and message in res.output, res.output
    res = CliRunner().invoke(
        cli, ["check", "--snapshot", DRIFTED, "--baseline", str(tmp_path / "no.json")]
    )
    assert res.exit_code == 2 and "baseline file not found" in res.output


def test_baseline_of_another_estate_makes_everything_new(tmp_path: Path) -> None:
    path, _ = _create(tmp_path)
    res = CliRunner().invoke(
        cli, ["check", "--snapshot", MULTI, "--baseline", str(path), "--format", "json"]
    )
    doc = json.loads(res.output)
    assert res.exit_code == 1
    assert doc["baseline"]["known"] == 0 and doc["baseline"]["resolved"] == []
