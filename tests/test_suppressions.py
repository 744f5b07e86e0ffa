"""Suppressions: matching, expiry, stale ones, reasons in every format, --no-suppressions."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from amlguard import app
from amlguard.cli import cli
from amlguard.config import load_config
from amlguard.reports.interface import ReportOptions
from amlguard.scanner.model import Finding, Severity, Status
from amlguard.settings import CheckSettings
from amlguard.suppressions import Suppression, apply_suppressions, soon_expiring
from tests.conftest import EXAMPLES

DRIFTED = EXAMPLES / "drifted.json"
TODAY = dt.date(2026, 11, 26)
ACR = (
    "/subscriptions/8f1c2a6e-3b4d-4e5f-9a0b-1c2d3e4f5a6b/resourceGroups/ml-secure-blueprint/"
    "providers/Microsoft.ContainerRegistry/registries/blueprintdevacr"
)


def _finding(
    rule_id: str = "AMLG-222", resource_id: str = ACR, status: Status = Status.FAIL
) -> Finding:
    return Finding(
        rule_id=rule_id,
        rule_name="x",
        severity=Severity.HIGH,
        status=status,
        resource_id=resource_id,
        resource_type="t",
        instance="/subscriptions/s/ws",
        message="m",
    )


@pytest.mark.parametrize(
    ("rule", "pattern", "hit"),
    [
        ("AMLG-222", ACR, True),
        ("AMLG-222", ACR.upper(), True),  # case-insensitive resource
        ("*", "*/registries/blueprintdevacr", True),
        ("AMLG-2*", "*/RESOURCEGROUPS/ml-secure-*/*", True),
        ("AMLG-221", ACR, False),  # another rule
        ("AMLG-222", "*/registries/other", False),
        ("AMLG-222", "/subscriptions/*/resourceGroups/other-rg/*", False),
    ],
)
def test_match_by_rule_and_resource_glob(rule: str, pattern: str, hit: bool) -> None:
    assert Suppression(rule, pattern, "r").matches(_finding()) is hit


def test_only_failures_are_suppressed_never_errors_or_passes() -> None:
    findings = [_finding(status=s) for s in (Status.FAIL, Status.ERROR, Status.PASS)]
    out = apply_suppressions(findings, [Suppression("*", "*", "why")], TODAY).findings
    assert [f.status for f in out] == [Status.SUPPRESSED, Status.ERROR, Status.PASS]
    assert out[0].suppression == {
        "kind": "suppression",
        "reason": "why",
        "expires": None,
        "approved_by": None,
        "source": "",
    }


def test_expiry_day_still_applies_and_the_day_after_does_not() -> None:
    s = Suppression("AMLG-222", "*", "r", expires=TODAY, source="amlguard.yaml:4")
    on_the_day = apply_suppressions([_finding()], [s], TODAY)
    assert on_the_day.findings[0].status is Status.SUPPRESSED and on_the_day.warnings == []
    after = apply_suppressions([_finding()], [s], TODAY + dt.timedelta(days=1))
    assert after.findings[0].status is Status.FAIL
    assert after.warnings == [
        f"suppression amlguard.yaml:4 (AMLG-222 on *) expired on {TODAY}; it no longer applies "
        "and its findings count again"
    ]


def test_stale_suppression_is_reported_but_not_for_rules_that_did_not_run() -> None:
    s = Suppression("AMLG-101", "*/nothing", "r", source="f:3")
    (warning,) = apply_suppressions([_finding()], [s], TODAY, ["AMLG-101", "AMLG-222"]).warnings
    assert (
        warning
        == "stale suppression f:3 (AMLG-101 on */nothing) matched no failing finding; remove it"
    )
    assert apply_suppressions([_finding()], [s], TODAY, ["AMLG-222"]).warnings == []


def test_soon_expiring_suppressions_are_announced() -> None:
    s = Suppression("*", "*", "r", expires=TODAY + dt.timedelta(days=3), source="f:9")
    assert soon_expiring([s], TODAY) == [
        f"suppression f:9 (* on *) expires on {s.expires} (in 3 day(s))"
    ]
    assert soon_expiring([s], TODAY - dt.timedelta(days=30)) == []


def _config(tmp_path: Path, expires: str = "2099-12-31") -> Path:
    path = tmp_path / "amlguard.yaml"
    path.write_text(
        "suppressions:\n"
        "  - rule: AMLG-222\n"
        "    resource: '*/registries/blueprintdevacr'\n"
        "    reason: Registry public until the agents move (CHG-1042)\n"
        f"    expires: {expires}\n"
        "    approved_by: secops@contoso.example\n",
        encoding="utf-8",
    )
    return path


REASON = "Registry public until the agents move (CHG-1042)"


@pytest.mark.parametrize("fmt", ["console", "json", "junit", "sarif", "markdown"])
def test_reason_is_visible_in_every_format(tmp_path: Path, fmt: str) -> None:
    cfg = load_config(_config(tmp_path))
    settings = CheckSettings(snapshots=(DRIFTED,), config=cfg, today=TODAY)
    result = app.prepare_scan(settings).result
    (acr,) = [f for f in result.findings if f.rule_id == "AMLG-222"]
    assert acr.status is Status.SUPPRESSED
    text = app.render(result, fmt, ReportOptions(width=400))
    assert REASON in text


def test_cli_no_suppressions_counts_every_failure_again(tmp_path: Path) -> None:
    cfg = str(_config(tmp_path))
    base = [
        "check",
        "--snapshot",
        str(DRIFTED),
        "--rule",
        "AMLG-222",
        "--config",
        cfg,
        "--format",
        "json",
    ]
    res = CliRunner().invoke(cli, base)
    assert res.exit_code == 0
    assert json.loads(res.output)["findings"][0]["suppression"]["reason"] == REASON
    res = CliRunner().invoke(cli, [*base, "--no-suppressions"])
    assert res.exit_code == 1
    doc = json.loads(res.output)
    assert doc["findings"][0]["status"] == "fail"
    assert doc["warnings"] == ["1 suppression(s) ignored (--no-suppressions): every failure counts"]


def test_cli_expired_suppression_fails_the_gate_and_warns(tmp_path: Path) -> None:
    cfg = str(_config(tmp_path, "2020-01-31"))
    args = [
        "check",
        "--snapshot",
        str(DRIFTED),
        "--rule",
        "AMLG-222",
        "--config",
        cfg,
        "--format",
        "json",
    ]
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 1
    (warning,) = json.loads(res.output)["warnings"]
    assert "expired on 2020-01-31" in warning and "amlguard.yaml:2" in warning


def test_permanent_suppressions_need_the_config_switch(tmp_path: Path) -> None:
    text = "suppressions:\n  - rule: AMLG-222\n    resource: '*'\n    reason: r\n"
    path = tmp_path / "amlguard.yaml"
    path.write_text(text, encoding="utf-8")
    res = CliRunner().invoke(cli, ["check", "--snapshot", str(DRIFTED), "--config", str(path)])
    assert res.exit_code == 2 and "an 'expires' date is required" in res.output
    path.write_text("allow_permanent_suppressions: true\n" + text, encoding="utf-8")
    (s,) = load_config(path).suppressions
    assert s.expires is None
