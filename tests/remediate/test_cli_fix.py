"""The CLI: check --fix on a snapshot only plans; amlguard apply refuses stale actions."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from amlguard.cli import cli
from tests.conftest import EXAMPLES
from tests.emulator import arg, network
from tests.emulator.server import Emulator
from tests.remediate.conftest import drifted_rows

DRIFTED = str(EXAMPLES / "drifted.json")


def test_fix_on_a_snapshot_only_plans_and_says_so(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli,
        ["check", "--snapshot", DRIFTED, "--fix", "--yes", "--plan-out", str(tmp_path / "p.json")],
    )
    assert result.exit_code == 1, result.output
    assert "Planned only (a snapshot cannot be changed)" in result.output
    assert "Manual steps" in result.output
    plan = json.loads((tmp_path / "p.json").read_text())
    assert plan["format"] == "amlguard-plan/v1" and plan["actions"]


def test_fix_on_a_compliant_snapshot_exits_0() -> None:
    result = CliRunner().invoke(
        cli, ["check", "--snapshot", str(EXAMPLES / "compliant.json"), "--fix"]
    )
    assert result.exit_code == 0, result.output
    assert "Nothing to fix" in result.output


def test_fix_flags_need_fix() -> None:
    result = CliRunner().invoke(cli, ["check", "--snapshot", DRIFTED, "--only", "AMLG-101"])
    assert result.exit_code == 2 and "need --fix" in result.output


def test_apply_refuses_a_plan_whose_finding_passes_now(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan_file = tmp_path / "plan.json"
    runner = CliRunner()
    runner.invoke(cli, ["check", "--snapshot", DRIFTED, "--fix", "--plan-out", str(plan_file)])
    plan = json.loads(plan_file.read_text())
    storage = next(a for a in plan["actions"] if "storageAccounts" in a["target"])

    with Emulator(drifted_rows()) as emu:
        network.install(emu)
        arg.install(emu)  # apply re-checks DNS resolution from current data
        # Someone changed the storage account after the plan was reviewed.
        row = dict(emu.get(storage["target"]) or {})
        row["properties"] = {**row["properties"], "publicNetworkAccess": "Disabled"}
        emu.write(row)
        monkeypatch.setenv("AMLGUARD_ARM_ENDPOINT", emu.url)
        monkeypatch.setenv("AMLGUARD_CA_BUNDLE", emu.ca_path)
        monkeypatch.setenv("AMLGUARD_ACCESS_TOKEN", "cli-token")
        monkeypatch.delenv("AZUREML_CURRENT_CLOUD", raising=False)
        audit = tmp_path / "audit.jsonl"
        result = runner.invoke(cli, ["apply", str(plan_file), "--yes", "--audit-log", str(audit)])
        patched = [w.path.lower() for w in emu.writes() if w.method == "PATCH"]

    # The storage account passes now, so a plan made now would not hold its cut: the whole
    # plan is refused before anything is written (redteam10b item 6), naming the action.
    assert result.exit_code == 2, result.output
    assert f"{storage['id']} (" in result.output and "passes on blueprintdevst now" in result.output
    assert patched == [] and not audit.exists()
    assert "cli-token" not in result.output


def test_apply_declined_changes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plan_file = tmp_path / "plan.json"
    runner = CliRunner()
    runner.invoke(cli, ["check", "--snapshot", DRIFTED, "--fix", "--plan-out", str(plan_file)])
    with Emulator(drifted_rows()) as emu:
        network.install(emu)
        arg.install(emu)  # apply re-checks DNS resolution from current data
        monkeypatch.setenv("AMLGUARD_ARM_ENDPOINT", emu.url)
        monkeypatch.setenv("AMLGUARD_CA_BUNDLE", emu.ca_path)
        monkeypatch.setenv("AMLGUARD_ACCESS_TOKEN", "t")
        result = runner.invoke(cli, ["apply", str(plan_file)], input="n\n")
        # apply re-reads what it would write (GETs only) before it asks; declining writes nothing
        # (Resource Graph queries are POSTs that read: the DNS re-check of the cuts)
        reads = {r.method for r in emu.journal if "Microsoft.ResourceGraph" not in r.path}
        assert emu.writes() == [] and reads <= {"GET"}
    assert result.exit_code == 1 and "nothing was changed" in result.output


def test_apply_reaches_azure_through_the_connection_flags(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """apply takes --arm-endpoint and --ca-bundle as live check does; the flags beat the env."""
    plan_file = tmp_path / "plan.json"
    runner = CliRunner()
    runner.invoke(cli, ["check", "--snapshot", DRIFTED, "--fix", "--plan-out", str(plan_file)])
    planned = {a["target"].lower() for a in json.loads(plan_file.read_text())["actions"]}
    with Emulator(drifted_rows()) as emu:
        network.install(emu)
        arg.install(emu)  # apply re-checks DNS resolution from current data
        # A stale environment pointing nowhere: only the flags can lead to the emulator.
        monkeypatch.setenv("AMLGUARD_ARM_ENDPOINT", "https://127.0.0.1:9")
        monkeypatch.setenv("AMLGUARD_CA_BUNDLE", str(tmp_path / "no-such-ca.pem"))
        monkeypatch.setenv("AMLGUARD_ACCESS_TOKEN", "flag-token")
        monkeypatch.delenv("AZUREML_CURRENT_CLOUD", raising=False)
        result = runner.invoke(
            cli,
            [
                "apply",
                str(plan_file),
                "--yes",
                "--arm-endpoint",
                emu.url,
                "--ca-bundle",
                emu.ca_path,
            ],
        )
        written = {w.path.lower() for w in emu.writes()}
        auth = {e.headers.get("authorization") for e in emu.journal}

    assert result.exit_code == 0, result.output
    assert written and any(w.startswith(t) for t in planned for w in written)
    assert auth == {"Bearer flag-token"}  # the credential of the one factory


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--arm-endpoint", "http://127.0.0.1:9"], "must be an https:// URL"),
        (["--ca-bundle", "no-such-ca.pem"], "--ca-bundle no-such-ca.pem: file not found"),
        (["--cloud", "Moon"], "unknown cloud"),
    ],
    ids=["http-endpoint", "missing-ca-bundle", "unknown-cloud"],
)
def test_apply_refuses_connection_flags_that_cannot_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, flags: list[str], message: str
) -> None:
    plan_file = tmp_path / "plan.json"
    runner = CliRunner()
    runner.invoke(cli, ["check", "--snapshot", DRIFTED, "--fix", "--plan-out", str(plan_file)])
    monkeypatch.delenv("AMLGUARD_ARM_ENDPOINT", raising=False)
    monkeypatch.delenv("AMLGUARD_CA_BUNDLE", raising=False)
    monkeypatch.setenv("AMLGUARD_ACCESS_TOKEN", "t")
    result = runner.invoke(cli, ["apply", str(plan_file), "--yes", *flags])
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output


def _live_env(monkeypatch: pytest.MonkeyPatch, emu: Emulator, state: Path) -> None:
    monkeypatch.setenv("AMLGUARD_ARM_ENDPOINT", emu.url)
    monkeypatch.setenv("AMLGUARD_CA_BUNDLE", emu.ca_path)
    monkeypatch.setenv("AMLGUARD_ACCESS_TOKEN", "t")
    monkeypatch.setenv("XDG_STATE_HOME", str(state))
    monkeypatch.delenv("AZUREML_CURRENT_CLOUD", raising=False)


def test_check_fix_yes_live_through_the_cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The whole live path: Resource Graph scan, plan, writes, verification, all via the
    emulator; ``check --fix`` is a check: its exit code is the post-fix state's."""
    from tests.emulator import arg

    with Emulator(drifted_rows()) as emu:
        network.install(emu)
        arg.install(emu)
        _live_env(monkeypatch, emu, tmp_path / "state")
        runner = CliRunner()
        declined = runner.invoke(cli, ["check", "--fix"], input="\n")  # default is no
        assert declined.exit_code == 1 and emu.writes() == []
        first = runner.invoke(cli, ["check", "--fix", "--yes"])
        # Manual findings (medium: DNS links, public IP) still fail at the default --fail-on low.
        assert first.exit_code == 1, first.output
        # AMLG-222 (registry public access) stays manual: its DNS zone does not resolve yet.
        assert "5 finding(s) now compliant, 0 still failing" in first.output
        assert "FAILED" in first.output and "Resource Graph may show" in first.output
        # Where every selected failure was fixed, nothing remains: exit 0.
        fixed = ("AMLG-101", "AMLG-103", "AMLG-104", "AMLG-106", "AMLG-201")
        again = runner.invoke(
            cli, ["check", "--fix", "--yes", *(a for r in fixed for a in ("--rule", r))]
        )
        assert again.exit_code == 0, again.output
        assert "Nothing to fix automatically" in again.output


def test_check_fix_json_describes_the_state_after_the_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.emulator import arg

    with Emulator(drifted_rows(), arg_lag=30) as emu:  # Resource Graph lags 30 s behind ARM
        network.install(emu)
        arg.install(emu)
        _live_env(monkeypatch, emu, tmp_path / "state")
        runner = CliRunner()
        out = tmp_path / "after.json"
        first = runner.invoke(
            cli,
            [
                "check",
                "--fix",
                "--yes",
                "--format",
                "json",
                "-o",
                f"junit:{tmp_path}/j.xml",
                "--output",
                f"json:{out}",
            ],
        )
        assert first.exit_code == 1, first.output
        doc = json.loads(first.stdout)  # the plan and progress went to stderr
        assert doc == json.loads(out.read_text())
        fixed = [f for f in doc["findings"] if f.get("fixed_by")]
        assert len(fixed) == 5 and all(f["status"] == "pass" for f in fixed)
        left = {f["rule_id"] for f in doc["findings"] if f["status"] == "fail"}
        assert left and not left & {f["rule_id"] for f in fixed}
        writes = len(emu.writes())
        # A second fix right away, Resource Graph still showing the old state: ARM is asked.
        again = runner.invoke(cli, ["check", "--fix", "--yes", "--format", "json"])
        assert again.exit_code == 1, again.output
        assert len(emu.writes()) == writes  # zero write calls
        assert "Nothing to fix automatically" in again.stderr
        # A plain check under the same lag judges the fixed resources as ARM has them.
        check = runner.invoke(cli, ["check", "--format", "json"])
        after = json.loads(check.stdout)
        assert {f["rule_id"] for f in after["findings"] if f["status"] == "fail"} == left
        assert any("Resource Graph may lag" in w for w in after.get("warnings", []))


def test_planning_never_imports_the_heavy_sdks() -> None:
    import subprocess
    import sys

    from tests.conftest import ROOT

    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from amlguard.cli import cli\n"
        f"r = CliRunner().invoke(cli, ['check', '--snapshot', {DRIFTED!r}, '--fix', '--dry-run'])\n"
        "assert r.exit_code == 1, r.output\n"
        "print(sorted(m for m in sys.modules if m.startswith(('azure.ai.ml', 'azure.mgmt.network'))))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        # A bare environment, but the suite's private cache folder (never the user's ~/.cache).
        env={
            "PYTHONPATH": str(ROOT),
            "PATH": "/usr/bin:/bin",
            "XDG_CACHE_HOME": os.environ["XDG_CACHE_HOME"],
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_suppressed_findings_are_not_planned(tmp_path: Path) -> None:
    cfg = tmp_path / "amlguard.yaml"
    cfg.write_text(
        "suppressions:\n"
        "  - rule: AMLG-201\n"
        "    resource: '*/storageAccounts/blueprintdevst'\n"
        "    reason: Storage public until the agents move (CHG-1042)\n"
        "    expires: 2099-01-01\n"
        "    approved_by: secops@contoso.example\n",
        encoding="utf-8",
    )
    out = tmp_path / "plan.json"
    args = ["check", "--snapshot", DRIFTED, "--fix", "--plan-out", str(out)]
    CliRunner().invoke(cli, args)
    planned = {r for a in json.loads(out.read_text())["actions"] for r in a["rule_ids"]}
    assert "AMLG-201" in planned
    CliRunner().invoke(cli, [*args, "--config", str(cfg)])
    planned = {r for a in json.loads(out.read_text())["actions"] for r in a["rule_ids"]}
    assert "AMLG-201" not in planned and "AMLG-101" in planned
